"""In-context learning from STE memory: retrieved demonstrations."""
