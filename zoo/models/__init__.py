"""Model families: one folder each, one public class per file."""
