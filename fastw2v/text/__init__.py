"""Text in: corpus files to vocabulary and token ids (reading, tokenising, counting,
encoding, the token cache, shards for Dask), and word2phrase."""
