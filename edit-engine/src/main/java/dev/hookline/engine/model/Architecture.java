/*
 * The causal-LM architectures the engine implements, keyed by Hugging Face `model_type`.
 * Reference: transformers' CONFIG_MAPPING names (gpt2, gptj, llama, mistral, qwen2).
 */
package dev.hookline.engine.model;

import java.util.Arrays;
import java.util.List;

/**
 * One supported architecture: its {@code model_type}, the {@code architectures} class names that
 * select it, and the family package whose code runs it (Mistral and Qwen2 run as Llama).
 */
public enum Architecture {
    GPT2("gpt2", "gpt2", List.of("GPT2LMHeadModel", "GPT2Model")),
    GPTJ("gptj", "gptj", List.of("GPTJForCausalLM", "GPTJModel")),
    LLAMA("llama", "llama", List.of("LlamaForCausalLM", "LlamaModel")),
    MISTRAL("mistral", "llama", List.of("MistralForCausalLM", "MistralModel")),
    QWEN2("qwen2", "llama", List.of("Qwen2ForCausalLM", "Qwen2Model"));

    private final String modelType;
    private final String family;
    private final List<String> classNames;

    Architecture(String modelType, String family, List<String> classNames) {
        this.modelType = modelType;
        this.family = family;
        this.classNames = classNames;
    }

    /** The HF {@code model_type}, also the name recorded in registries and bundles. */
    public String modelType() {
        return modelType;
    }

    /** The engine package that runs it: gpt2, gptj or llama. */
    public String family() {
        return family;
    }

    /** HF class names in {@code architectures} that select this architecture. */
    public List<String> classNames() {
        return classNames;
    }

    /** Every supported {@code model_type}, for error messages. */
    public static List<String> supportedModelTypes() {
        return Arrays.stream(values()).map(Architecture::modelType).toList();
    }

    /**
     * The architecture of a {@code model_type} (or, when that is absent, of an
     * {@code architectures} class name).
     *
     * @throws IllegalArgumentException naming the supported model types
     */
    public static Architecture of(String modelType, List<String> architectures) {
        for (Architecture a : values()) {
            if (a.modelType.equals(modelType)) {
                return a;
            }
        }
        if (modelType == null || modelType.isEmpty()) {
            for (Architecture a : values()) {
                for (String name : architectures) {
                    if (a.classNames.contains(name)) {
                        return a;
                    }
                }
            }
        }
        throw new IllegalArgumentException("unsupported model_type '" + modelType + "' (architectures "
                + architectures + "); supported model types: " + supportedModelTypes());
    }

    /** The architecture recorded under {@code name} (a model_type), e.g. in a bundle manifest. */
    public static Architecture fromModelType(String name) {
        return of(name, List.of());
    }
}
