"""Pictures: PCA and t-SNE, learning curves and word maps, Embedding Projector files."""
