/*
 * Text <-> token ids for a checkpoint, through DJL's Hugging Face tokenizers binding.
 * Reference: HF tokenizers' tokenizer.json (GPT-2 byte-level BPE or the fact world's word-level
 * vocabulary); no special tokens are added, as GPT-2's tokenizer adds none.
 */
package dev.hookline.engine.infer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/** A loaded {@code tokenizer.json}. Thread-safe for encoding and decoding. */
public final class TextTokenizer implements AutoCloseable {
    private final HuggingFaceTokenizer tokenizer;

    private TextTokenizer(HuggingFaceTokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    /** Loads a {@code tokenizer.json} file. */
    public static TextTokenizer load(Path tokenizerJson) throws IOException {
        if (!Files.isRegularFile(tokenizerJson)) {
            throw new IllegalArgumentException("tokenizer file not found: " + tokenizerJson);
        }
        HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.builder()
                .optTokenizerPath(tokenizerJson)
                .optAddSpecialTokens(false)
                .optTruncation(false)
                .optPadding(false)
                .build();
        return new TextTokenizer(tokenizer);
    }

    /** Token ids of {@code text}, without special tokens. */
    public int[] encode(String text) {
        long[] ids = tokenizer.encode(text, false, false).getIds();
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = Math.toIntExact(ids[i]);
        }
        return out;
    }

    /** Text of {@code ids} (special tokens kept). */
    public String decode(int[] ids) {
        return tokenizer.decode(Arrays.stream(ids).asLongStream().toArray(), false);
    }

    /**
     * Prompt ids and the ids of {@code target} as it continues {@code prompt} after one space.
     * Encodes {@code prompt} and {@code prompt + " " + target} and takes the suffix, so a BPE
     * target gets its leading-space token form; when the prompt's ids are not a prefix of the
     * full sentence's (a merge across the boundary), the target is encoded as
     * {@code " " + target} on its own.
     */
    public Continuation continuation(String prompt, String target) {
        if (target.isBlank()) {
            throw new IllegalArgumentException("empty target for prompt '" + prompt + "'");
        }
        int[] promptIds = encode(prompt);
        int[] full = encode(prompt + " " + target);
        boolean prefix = full.length > promptIds.length
                && Arrays.equals(promptIds, Arrays.copyOf(full, promptIds.length));
        int[] targetIds = prefix
                ? Arrays.copyOfRange(full, promptIds.length, full.length)
                : encode(" " + target);
        if (promptIds.length == 0) {
            throw new IllegalArgumentException("prompt '" + prompt + "' encodes to no tokens");
        }
        return new Continuation(promptIds, targetIds);
    }

    /**
     * Token ids of a prompt and of its target continuation.
     *
     * @param promptIds ids of the prompt
     * @param targetIds ids of the target, as it follows the prompt
     */
    public record Continuation(int[] promptIds, int[] targetIds) {
        /** Prompt followed by target. */
        public int[] sequence() {
            int[] all = Arrays.copyOf(promptIds, promptIds.length + targetIds.length);
            System.arraycopy(targetIds, 0, all, promptIds.length, targetIds.length);
            return all;
        }
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
