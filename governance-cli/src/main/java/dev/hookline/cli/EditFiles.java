/*
 * Reads an edit file in any of the layouts a user has at hand and turns it into the registry's
 * batch edits (docs/API.md, "Edit batch"): CounterFact (ROME's layout, `requested_rewrite`), zsRE
 * (MEND/MEMIT's layout, `src`/`alt`), a JSON array of API edits, or a whole batch body
 * (`{"edits": [...], ...}`). The dataset layouts go through fact-world's loaders.
 */
package dev.hookline.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hookline.client.RegistryClient;
import dev.hookline.data.CounterFactDataset;
import dev.hookline.data.DatasetFormatException;
import dev.hookline.data.EditRequest;
import dev.hookline.data.ZsreDataset;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Edit-file detection and conversion to API edits. */
public final class EditFiles {
    /** The layouts {@link #read} recognises. */
    public enum Layout {
        COUNTERFACT("CounterFact"), ZSRE("zsRE"), EDITS("API edits"), BATCH("batch body");

        private final String label;

        Layout(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    /**
     * What a file held: its layout, the API edits (all of them, in file order) and, for a batch
     * body, the body itself (its other fields are defaults for the submission).
     */
    public record Loaded(Layout layout, ArrayNode edits, ObjectNode body) {
    }

    private EditFiles() {
    }

    /** Reads and converts {@code file}; unreadable or unrecognised files are usage errors naming the problem. */
    public static Loaded read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw CliException.usage("--file " + file + ": no such file");
        }
        JsonNode root;
        try {
            root = RegistryClient.json().readTree(file.toFile());
        } catch (IOException e) {
            throw CliException.usage("--file " + file + ": not JSON: " + e.getMessage().lines().findFirst().orElse(""));
        }
        if (root != null && root.isObject() && root.path("edits").isArray()) {
            return new Loaded(Layout.BATCH, (ArrayNode) root.get("edits").deepCopy(), (ObjectNode) root.deepCopy());
        }
        if (root == null || !root.isArray() || root.isEmpty()) {
            throw CliException.usage("--file " + file + ": expected a non-empty JSON array (CounterFact, zsRE or API "
                    + "edits) or a batch body with \"edits\"");
        }
        JsonNode first = root.get(0);
        try {
            if (first.has("requested_rewrite")) {
                return new Loaded(Layout.COUNTERFACT, toApi(CounterFactDataset.toEditRequests(CounterFactDataset.load(file))),
                        null);
            }
            if (first.has("src") && first.has("alt")) {
                return new Loaded(Layout.ZSRE, toApi(ZsreDataset.toEditRequests(ZsreDataset.load(file))), null);
            }
        } catch (DatasetFormatException | IllegalArgumentException e) {
            throw CliException.usage("--file " + e.getMessage());
        }
        if (first.has("prompt") && first.has("targetNew")) {
            return new Loaded(Layout.EDITS, (ArrayNode) root.deepCopy(), null);
        }
        throw CliException.usage("--file " + file + ": record 0 is neither CounterFact (requested_rewrite), zsRE "
                + "(src, alt) nor an API edit (subject, prompt, targetNew)");
    }

    /**
     * Engine-neutral requests as API edits: paraphrases, and as locality probes the neighbourhood
     * prompts (expected: the neighbours' unchanged answer) followed by the other locality prompts.
     */
    public static ArrayNode toApi(List<EditRequest> requests) {
        ArrayNode edits = RegistryClient.json().createArrayNode();
        for (EditRequest r : requests) {
            ObjectNode e = edits.addObject();
            e.put("subject", r.subject());
            e.put("prompt", r.prompt());
            e.put("targetNew", r.targetNew());
            if (r.targetTrue() != null) {
                e.put("targetTrue", r.targetTrue());
            }
            ArrayNode para = e.putArray("paraphrases");
            r.paraphrasePrompts().forEach(para::add);
            ArrayNode loc = e.putArray("locality");
            for (String p : r.neighborhoodPrompts()) {
                loc.addObject().put("prompt", p).put("expected", r.neighborhoodTarget());
            }
            for (int i = 0; i < r.localityPrompts().size(); i++) {
                loc.addObject().put("prompt", r.localityPrompts().get(i)).put("expected", r.localityTargets().get(i));
            }
            if (r.relation() != null) {
                e.put("relation", r.relation());
            }
        }
        return edits;
    }
}
