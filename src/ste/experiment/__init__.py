"""The lift experiment: baseline -> explore -> distill -> ICL (-> fine-tune), in one command."""
