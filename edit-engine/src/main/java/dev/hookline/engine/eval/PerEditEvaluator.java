/*
 * Per-edit results: for every edit, whether the edit prompt, each paraphrase and each locality
 * prompt passed, with the probability of its target before (unedited model) and after the edits;
 * and the locality columns users ask for, kept apart: same-relation neighbours, other relations of
 * the edited subject, unrelated corpus lines.
 * Reference: the token-level reliability / generality / locality of EditEvaluator, per prompt.
 */
package dev.hookline.engine.eval;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hookline.data.EditRequest;
import dev.hookline.engine.infer.ContinuationScore;
import dev.hookline.engine.infer.LanguageModel;
import dev.hookline.engine.infer.TextTokenizer;
import dev.hookline.engine.model.ForwardOptions;
import dev.hookline.engine.model.CausalLm;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Scores the unedited model once on every probe of the requests, then any edited model against it.
 * A probe of the edit prompt or a paraphrase passes when every target token is the top-1
 * prediction; a locality probe passes when every target position keeps the unedited top-1.
 */
public final class PerEditEvaluator {
    /** Probe kind: the edit prompt. */
    public static final String EDIT = "edit";
    /** Probe kind: a paraphrase of the edit prompt. */
    public static final String PARAPHRASE = "paraphrase";
    /** Locality kind: another subject of the same relation (CounterFact's neighbourhood). */
    public static final String NEIGHBOUR = "neighbour";
    /** Locality kind: another relation of the edited subject. */
    public static final String SUBJECT = "subject";
    /** Locality kind: an unrelated corpus line. */
    public static final String UNRELATED = "unrelated";
    /** Locality kind: the request's own further locality prompts. */
    public static final String OTHER = "other";

    /** One prompt and the continuation scored after it. */
    public record Probe(String kind, String prompt, String target) {}

    /**
     * One probe's outcome.
     *
     * @param passed see the class comment
     * @param probabilityBefore P(target | prompt) under the unedited model (product over its tokens)
     * @param probabilityAfter the same under the edited model
     * @param tokenShare share of target positions that pass (top-1 correct, or unchanged for locality)
     */
    public record ProbeResult(String kind, String prompt, String target, boolean passed, double probabilityBefore,
            double probabilityAfter, double tokenShare) {}

    /** One edit's probes. */
    public record EditRecord(String caseId, String subject, String relation, String targetNew, ProbeResult edit,
            List<ProbeResult> paraphrases, List<ProbeResult> locality) {}

    /**
     * Mean over edits (each edit weighs the same) of the share of unchanged top-1 tokens, per
     * locality kind; NaN where no edit has probes of the kind.
     */
    public record LocalityColumns(double neighbours, double subject, double unrelated) {}

    private final TextTokenizer tokenizer;
    private final EditEvaluator.Params params;
    private final Function<EditRequest, List<Probe>> extraLocality;
    private final Map<String, ContinuationScore> before = new LinkedHashMap<>();

    /**
     * @param unedited the model before any edit
     * @param extraLocality further locality probes of an edit (kinds {@link #SUBJECT}, {@link #UNRELATED}),
     *     e.g. from the fact world; may return an empty list
     */
    public PerEditEvaluator(CausalLm unedited, TextTokenizer tokenizer, List<EditRequest> requests,
            EditEvaluator.Params params, Function<EditRequest, List<Probe>> extraLocality) {
        this.tokenizer = tokenizer;
        this.params = params;
        this.extraLocality = extraLocality;
        List<Probe> all = new ArrayList<>();
        for (EditRequest r : requests) {
            all.addAll(probes(r));
        }
        List<ContinuationScore> scores = score(unedited, ForwardOptions.defaults(), all);
        for (int i = 0; i < all.size(); i++) {
            before.put(key(all.get(i)), scores.get(i));
        }
    }

    private static String key(Probe p) {
        return p.kind() + "\u0000" + p.prompt() + "\u0000" + p.target();
    }

    /** Every probe of {@code r}: the edit prompt, paraphrases, then the locality probes. */
    List<Probe> probes(EditRequest r) {
        List<Probe> out = new ArrayList<>();
        out.add(new Probe(EDIT, r.filledPrompt(), r.targetNew()));
        for (int i = 0; i < Math.min(r.paraphrasePrompts().size(), params.maxParaphrases()); i++) {
            out.add(new Probe(PARAPHRASE, r.paraphrasePrompts().get(i), r.targetNew()));
        }
        for (int i = 0; i < Math.min(r.neighborhoodPrompts().size(), params.maxNeighbours()); i++) {
            out.add(new Probe(NEIGHBOUR, r.neighborhoodPrompts().get(i), r.neighborhoodTarget()));
        }
        for (int i = 0; i < Math.min(r.localityPrompts().size(), params.maxNeighbours()); i++) {
            out.add(new Probe(OTHER, r.localityPrompts().get(i), r.localityTargets().get(i)));
        }
        out.addAll(extraLocality.apply(r));
        return out;
    }

    private List<ContinuationScore> score(CausalLm model, ForwardOptions options, List<Probe> probes) {
        List<TextTokenizer.Continuation> cs = new ArrayList<>();
        for (Probe p : probes) {
            cs.add(tokenizer.continuation(p.prompt(), p.target()));
        }
        return LanguageModel.wrap(model, tokenizer).scoreIds(cs, options);
    }

    /** Every edit's record under {@code model} run with {@code options} (requests given to the constructor). */
    public List<EditRecord> evaluate(CausalLm model, ForwardOptions options, List<EditRequest> requests) {
        List<Probe> all = new ArrayList<>();
        List<Integer> counts = new ArrayList<>();
        for (EditRequest r : requests) {
            List<Probe> ps = probes(r);
            all.addAll(ps);
            counts.add(ps.size());
        }
        List<ContinuationScore> after = score(model, options, all);
        List<EditRecord> out = new ArrayList<>();
        int at = 0;
        for (int q = 0; q < requests.size(); q++) {
            EditRequest r = requests.get(q);
            ProbeResult edit = null;
            List<ProbeResult> paraphrases = new ArrayList<>();
            List<ProbeResult> locality = new ArrayList<>();
            for (int i = 0; i < counts.get(q); i++, at++) {
                Probe p = all.get(at);
                ContinuationScore b = before.get(key(p));
                if (b == null) {
                    throw new IllegalArgumentException("edit " + r.caseId() + " was not given to the evaluator's constructor");
                }
                ContinuationScore a = after.get(at);
                ProbeResult result;
                if (p.kind().equals(EDIT) || p.kind().equals(PARAPHRASE)) {
                    result = new ProbeResult(p.kind(), p.prompt(), p.target(), a.allCorrect(),
                            Math.exp(b.totalLogProb()), Math.exp(a.totalLogProb()), a.accuracy());
                } else {
                    int same = 0;
                    int[] pb = b.predictedIds();
                    int[] pa = a.predictedIds();
                    for (int t = 0; t < pa.length; t++) {
                        same += pa[t] == pb[t] ? 1 : 0;
                    }
                    result = new ProbeResult(p.kind(), p.prompt(), p.target(), same == pa.length,
                            Math.exp(b.totalLogProb()), Math.exp(a.totalLogProb()), (double) same / pa.length);
                }
                switch (p.kind()) {
                    case EDIT -> edit = result;
                    case PARAPHRASE -> paraphrases.add(result);
                    default -> locality.add(result);
                }
            }
            out.add(new EditRecord(r.caseId(), r.subject(), r.relation(), r.targetNew(), edit, paraphrases, locality));
        }
        return out;
    }

    /** The locality columns of {@code records}. */
    public static LocalityColumns columns(List<EditRecord> records) {
        return new LocalityColumns(column(records, NEIGHBOUR), column(records, SUBJECT), column(records, UNRELATED));
    }

    private static double column(List<EditRecord> records, String kind) {
        double sum = 0;
        int n = 0;
        for (EditRecord e : records) {
            double share = 0;
            int k = 0;
            for (ProbeResult p : e.locality()) {
                if (p.kind().equals(kind)) {
                    share += p.tokenShare();
                    k++;
                }
            }
            if (k > 0) {
                sum += share / k;
                n++;
            }
        }
        return n == 0 ? Double.NaN : sum / n;
    }

    /** Writes one JSON object per edit (JSON lines), via a temporary file moved into place. */
    public static void writeJsonLines(Path file, String method, List<EditRecord> records) throws IOException {
        ObjectMapper json = new ObjectMapper();
        Path partial = file.resolveSibling(file.getFileName() + ".partial");
        try (BufferedWriter w = Files.newBufferedWriter(partial)) {
            for (EditRecord e : records) {
                ObjectNode n = json.createObjectNode();
                n.put("method", method);
                n.put("caseId", e.caseId());
                n.put("subject", e.subject());
                n.put("relation", e.relation());
                n.put("targetNew", e.targetNew());
                n.set("edit", probeJson(json, e.edit()));
                ArrayNode para = n.putArray("paraphrases");
                e.paraphrases().forEach(p -> para.add(probeJson(json, p)));
                ArrayNode loc = n.putArray("locality");
                e.locality().forEach(p -> loc.add(probeJson(json, p).put("kind", p.kind())));
                w.write(json.writeValueAsString(n));
                w.newLine();
            }
        }
        Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static ObjectNode probeJson(ObjectMapper json, ProbeResult p) {
        ObjectNode n = json.createObjectNode();
        n.put("prompt", p.prompt());
        n.put("target", p.target());
        n.put("passed", p.passed());
        n.put("probabilityBefore", p.probabilityBefore());
        n.put("probabilityAfter", p.probabilityAfter());
        return n;
    }
}
