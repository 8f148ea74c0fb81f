"""brainlab: brain-dynamics modelling on a JAX engine."""
