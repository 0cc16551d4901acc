/*
 * What every architecture's config tells the architecture-neutral parts of the engine
 * (editing, hooks, evaluation, generation): sizes and special tokens.
 */
package dev.hookline.engine.model;

/**
 * Architecture-neutral view of a causal LM's hyperparameters. Each family has its own validated
 * record ({@code Gpt2Config}, {@code GptjConfig}, {@code LlamaConfig}) that implements this.
 */
public interface ModelConfig {

    /** Which architecture the config describes. */
    Architecture architecture();

    /** Vocabulary size V of the embedding and the head. */
    int vocabSize();

    /** The longest sequence the model accepts. */
    int maxPositions();

    /** Residual width d. */
    int hiddenSize();

    /** Number of transformer blocks. */
    int layerCount();

    /** Width of the hooked MLP projection's input, the key size d_ff. */
    int mlpSize();

    /** Beginning-of-sequence token id. */
    int bosTokenId();

    /** End-of-sequence token id; also used as padding. */
    int eosTokenId();
}
