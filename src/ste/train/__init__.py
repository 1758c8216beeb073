"""Fine-tuning on STE data: chat formatting with assistant masks, replay mixing, SFT."""
