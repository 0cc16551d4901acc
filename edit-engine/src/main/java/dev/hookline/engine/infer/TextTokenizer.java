/*
 * Text <-> token ids for a checkpoint, through DJL's Hugging Face tokenizers binding.
 * Reference: HF tokenizers' tokenizer.json (GPT-2 / Llama 3 / Qwen2 byte-level BPE, SentencePiece
 * BPE, or the fact world's word-level vocabulary) and transformers' tokenizer_config.json
 * (bos_token / eos_token as strings or AddedToken objects, added_tokens_decoder); no special tokens
 * are added to encoded text (the engine's prompts are continued text, as in GPT-2).
 */
package dev.hookline.engine.infer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.OptionalInt;

/** A loaded {@code tokenizer.json}. Thread-safe for encoding and decoding. */
public final class TextTokenizer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HuggingFaceTokenizer tokenizer;
    private final int vocabularySize;
    private final OptionalInt bosId;
    private final OptionalInt eosId;

    private TextTokenizer(HuggingFaceTokenizer tokenizer, int vocabularySize, OptionalInt bosId, OptionalInt eosId) {
        this.tokenizer = tokenizer;
        this.vocabularySize = vocabularySize;
        this.bosId = bosId;
        this.eosId = eosId;
    }

    /** Loads a {@code tokenizer.json} file. */
    public static TextTokenizer load(Path tokenizerJson) throws IOException {
        return load(tokenizerJson, null);
    }

    /**
     * Loads {@code dir/tokenizer.json} with {@code dir/tokenizer_config.json} when present (its
     * bos/eos tokens are resolved to ids; an unknown one is an error naming the file).
     */
    public static TextTokenizer loadDirectory(Path dir) throws IOException {
        Path config = dir.resolve("tokenizer_config.json");
        return load(dir.resolve("tokenizer.json"), Files.isRegularFile(config) ? config : null);
    }

    private static TextTokenizer load(Path tokenizerJson, Path tokenizerConfig) throws IOException {
        if (!Files.isRegularFile(tokenizerJson)) {
            throw new IllegalArgumentException("tokenizer file not found: " + tokenizerJson);
        }
        Map<String, Integer> vocabulary = vocabulary(tokenizerJson);
        int size = vocabulary.values().stream().mapToInt(Integer::intValue).max().orElse(-1) + 1;
        OptionalInt bos = OptionalInt.empty();
        OptionalInt eos = OptionalInt.empty();
        if (tokenizerConfig != null) {
            JsonNode root = JSON.readTree(tokenizerConfig.toFile());
            JsonNode decoder = root.path("added_tokens_decoder");
            for (Iterator<Map.Entry<String, JsonNode>> it = decoder.fields(); it.hasNext();) {
                Map.Entry<String, JsonNode> e = it.next();
                int id = Integer.parseInt(e.getKey());
                vocabulary.putIfAbsent(e.getValue().path("content").asText(), id);
                size = Math.max(size, id + 1);
            }
            bos = specialToken(root, "bos_token", vocabulary, tokenizerConfig);
            eos = specialToken(root, "eos_token", vocabulary, tokenizerConfig);
        }
        HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.builder()
                .optTokenizerPath(tokenizerJson)
                .optAddSpecialTokens(false)
                .optTruncation(false)
                .optPadding(false)
                .build();
        return new TextTokenizer(tokenizer, size, bos, eos);
    }

    /** Token string to id: the model's vocabulary (a map, or Unigram's list) plus added tokens. */
    private static Map<String, Integer> vocabulary(Path tokenizerJson) throws IOException {
        JsonNode root = JSON.readTree(tokenizerJson.toFile());
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException(tokenizerJson + ": not a JSON object");
        }
        Map<String, Integer> out = new HashMap<>();
        JsonNode vocab = root.path("model").path("vocab");
        if (vocab.isObject()) {
            vocab.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asInt()));
        } else if (vocab.isArray()) {
            for (int i = 0; i < vocab.size(); i++) {
                out.put(vocab.get(i).path(0).asText(), i);
            }
        } else {
            throw new IllegalArgumentException(tokenizerJson + ": no model.vocab");
        }
        for (JsonNode added : root.path("added_tokens")) {
            out.put(added.path("content").asText(), added.path("id").asInt());
        }
        return out;
    }

    private static OptionalInt specialToken(JsonNode root, String key, Map<String, Integer> vocabulary, Path file) {
        JsonNode node = root.get(key);
        if (node == null || node.isNull()) {
            return OptionalInt.empty();
        }
        String content = node.isObject() ? node.path("content").asText() : node.asText();
        Integer id = vocabulary.get(content);
        if (id == null) {
            throw new IllegalArgumentException(file + ": " + key + " '" + content
                    + "' is not a token of tokenizer.json");
        }
        return OptionalInt.of(id);
    }

    /** One more than the largest token id the tokenizer can produce. */
    public int vocabularySize() {
        return vocabularySize;
    }

    /** The bos token's id from tokenizer_config.json, when given. */
    public OptionalInt bosId() {
        return bosId;
    }

    /** The eos token's id from tokenizer_config.json, when given. */
    public OptionalInt eosId() {
        return eosId;
    }

    /**
     * Checks that every id this tokenizer produces is inside a model vocabulary of {@code modelVocab}.
     *
     * @throws IllegalArgumentException naming {@code tokenizerFile} and the sizes
     */
    public void requireFits(int modelVocab, Path tokenizerFile) {
        if (vocabularySize > modelVocab) {
            throw new IllegalArgumentException(tokenizerFile + ": the tokenizer has ids up to " + (vocabularySize - 1)
                    + " but the model's vocab_size is " + modelVocab + " (a tokenizer of another model?)");
        }
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
