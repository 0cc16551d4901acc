/*
 * Diagnostic (not a test): where a nearest-key scope admits what it should not. For a codebook-nearest (or any
 * nearest-scope) bundle over the first N edits of DATA, in batches of BATCH (two keys per edit and batch: the
 * batch's mean keys, then its plain keys), every prompt of every edit (the edit prompt, its paraphrases and its
 * neighbourhood prompts) is scored at every position against every edited key. One JSON line per prompt: the
 * edit, the kind, the best score over positions, that position and its token, the edit whose key it is nearest
 * to, the best score against the prompt's own edit, and the five edits it scores highest against (each edit's
 * best over positions and its two keys). Kind "negative": the edit's own prompt template filled with the subjects
 * of up to ten other edits of its batch (same relation wording, another subject: what a per-edit threshold could
 * be calibrated on without any evaluation prompt); kind "negative-last": the edit's template with the edit's own
 * subject, its last word replaced by the last words of up to ten other subjects of the batch. Subject confirmation
 * (a second position): each edit's key at its subject's last token in the plain edit prompt, whitened and scaled as
 * the scope's keys; per prompt "subjNearest" and "subjOwn" are the best such score over the prompt's positions up to
 * its best position, against the nearest edit's and the own edit's subject key (the top five carry it third), so a
 * rule "admit at the last token only where the chosen edit's subject key also matches an earlier position" can be
 * replayed offline. Edit lines also say whether the unedited model knew the fact
 * ("known": top-1 on every token of the true target). Which prompts a threshold (or a per-edit threshold) admits,
 * and through which position and edit, follows offline.
 * Run: java -cp <test classpath> dev.hookline.engine.diag.ScopeLeak MODEL DATA N BATCH 0 LAYER BUNDLE OUT.jsonl
 */
package dev.hookline.engine.diag;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hookline.data.EditRequest;
import dev.hookline.engine.bundle.HookBundle;
import java.io.BufferedWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

public final class ScopeLeak {

    private ScopeLeak() {}

    private record Probe(int edit, String kind, String prompt) {}

    public static void main(String[] args) throws Exception {
        try (DiagRun run = DiagRun.open(args, 0)) {
            HookBundle bundle = HookBundle.read(Path.of(args[6]), false);
            Path out = Path.of(args[7]);
            int ff = run.lm.model().config().mlpSize();
            HookBundle.NearestScope n = bundle.nearestScope();
            int e = n.keyCount();
            if (e != 2 * run.n) {
                throw new IllegalArgumentException("expected two keys per edit (" + 2 * run.n + "), the bundle has " + e);
            }
            int[] editOf = new int[e]; // column -> edit index
            for (int c = 0; c < e; c++) {
                int b = c / (2 * run.batch);
                editOf[c] = b * run.batch + (c % (2 * run.batch)) % run.batch;
            }
            List<Probe> probes = new ArrayList<>();
            for (int i = 0; i < run.n; i++) {
                final int edit = i;
                EditRequest r = run.requests.get(i);
                probes.add(new Probe(edit, "edit", r.filledPrompt()));
                r.paraphrasePrompts().forEach(p -> probes.add(new Probe(edit, "paraphrase", p)));
                r.neighborhoodPrompts().forEach(p -> probes.add(new Probe(edit, "neighbour", p)));
                int b0 = (i / run.batch) * run.batch;
                int added = 0;
                int varied = 0;
                int cut = r.subject().lastIndexOf(' ');
                for (int j = b0; j < Math.min(run.n, b0 + run.batch) && (added < 10 || varied < 10); j++) {
                    String other = run.requests.get(j).subject();
                    if (j == i || other.equals(r.subject())) {
                        continue;
                    }
                    if (added < 10) {
                        probes.add(new Probe(edit, "negative", r.prompt().replace("{}", other)));
                        added++;
                    }
                    // The subject with its last word replaced by another subject's last word: the names a model
                    // that reads only the first words confuses (same first name, other person).
                    String last = other.substring(other.lastIndexOf(' ') + 1);
                    String variant = cut < 0 ? null : r.subject().substring(0, cut + 1) + last;
                    if (varied < 10 && variant != null && !variant.equals(r.subject())) {
                        probes.add(new Probe(edit, "negative-last", r.prompt().replace("{}", variant)));
                        varied++;
                    }
                }
            }
            List<dev.hookline.engine.infer.PromptTarget> truths = new ArrayList<>();
            for (EditRequest r : run.requests) {
                truths.add(new dev.hookline.engine.infer.PromptTarget(r.filledPrompt(),
                        r.targetTrue() == null ? "" : r.targetTrue()));
            }
            List<dev.hookline.engine.infer.ContinuationScore> known = run.lm.score(truths);
            ObjectMapper json = new ObjectMapper();
            try (NDManager m = run.lm.model().manager().newSubManager();
                 BufferedWriter w = Files.newBufferedWriter(out)) {
                NDArray wt = m.create(n.whiteningT().get(run.layer), new Shape(ff, ff));
                NDArray a = m.create(n.keys().get(run.layer), new Shape(ff, e));
                NDArray subjectA = subjectKeys(run, m, wt, ff); // (d_ff, N)
                List<String> prompts = probes.stream().map(Probe::prompt).toList();
                DiagRun.keyChunks(run.lm, run.layer, prompts, (start, tokens, keys) -> {
                    int t = (int) tokens.length();
                    NDArray q = keys.toType(DataType.FLOAT32, false).reshape(-1, ff).matMul(wt); // (B*T, d_ff)
                    NDArray qq = q.mul(q).sum(new int[] {1}, true); // (B*T, 1)
                    float[] s = q.matMul(a).square().div(qq).toFloatArray(); // (B*T, E)
                    float[] s2 = q.matMul(subjectA).square().div(qq).toFloatArray(); // (B*T, N)
                    try {
                        for (int b = 0; b < tokens.size(); b++) {
                            Probe p = probes.get(start + b);
                            int[] ids = run.lm.tokenizer().encode(p.prompt());
                            int edits = run.n;
                            double[] perEdit = new double[edits];
                            java.util.Arrays.fill(perEdit, -1);
                            double best = -1;
                            double own = -1;
                            int bestPos = -1;
                            int bestCol = -1;
                            for (int pos = 0; pos < tokens.length(b); pos++) {
                                int base = (b * t + pos) * e;
                                for (int c = 0; c < e; c++) {
                                    double v = s[base + c];
                                    if (v > best) {
                                        best = v;
                                        bestPos = pos;
                                        bestCol = c;
                                    }
                                    if (editOf[c] == p.edit() && v > own) {
                                        own = v;
                                    }
                                    if (v > perEdit[editOf[c]]) {
                                        perEdit[editOf[c]] = v;
                                    }
                                }
                            }
                            int upTo = bestPos;
                            int row = b;
                            java.util.function.IntToDoubleFunction subj = j -> {
                                double v = -1;
                                for (int pos = 0; pos <= upTo; pos++) {
                                    v = Math.max(v, s2[(row * t + pos) * edits + j]);
                                }
                                return v;
                            };
                            ObjectNode o = json.createObjectNode();
                            o.put("edit", p.edit()).put("kind", p.kind()).put("prompt", p.prompt())
                                    .put("best", best).put("pos", bestPos).put("tokens", tokens.length(b))
                                    .put("token", bestPos >= 0 && bestPos < ids.length
                                            ? run.lm.tokenizer().decode(new int[] {ids[bestPos]}) : "")
                                    .put("nearestEdit", bestCol < 0 ? -1 : editOf[bestCol])
                                    .put("nearestSubject", bestCol < 0 ? "" : run.requests.get(editOf[bestCol]).subject())
                                    .put("own", own)
                                    .put("subjNearest", bestCol < 0 ? -1 : subj.applyAsDouble(editOf[bestCol]))
                                    .put("subjOwn", bestPos < 0 ? -1 : subj.applyAsDouble(p.edit()));
                            if (p.kind().equals("edit")) {
                                o.put("known", known.get(p.edit()).accuracy() == 1.0);
                            }
                            Integer[] order = new Integer[edits];
                            for (int k = 0; k < edits; k++) {
                                order[k] = k;
                            }
                            java.util.Arrays.sort(order, (x, y) -> Double.compare(perEdit[y], perEdit[x]));
                            var top = o.putArray("top");
                            for (int k = 0; k < Math.min(5, edits); k++) {
                                top.addArray().add(order[k]).add(perEdit[order[k]])
                                        .add(bestPos < 0 ? -1 : subj.applyAsDouble(order[k]));
                            }
                            w.write(json.writeValueAsString(o));
                            w.newLine();
                        }
                    } catch (java.io.IOException x) {
                        throw new java.io.UncheckedIOException(x);
                    }
                });
            }
            System.out.println("wrote " + probes.size() + " prompts to " + out);
        }
    }

    /**
     * Each edit's key at its subject's last token in the plain edit prompt, whitened by {@code W} ({@code wt} is
     * W^T) and scaled as the scope's keys, a = W k / sqrt(1 + |W k|^2): columns of (d_ff, N) float32.
     */
    private static NDArray subjectKeys(DiagRun run, NDManager m, NDArray wt, int ff) {
        List<String> prompts = run.requests.stream().map(EditRequest::filledPrompt).toList();
        int[] at = new int[run.n];
        for (int i = 0; i < run.n; i++) {
            at[i] = dev.hookline.engine.edit.EditPrompts.of(run.requests.get(i), run.lm.tokenizer(), List.of())
                    .subjectLast()[0];
        }
        float[] rows = new float[run.n * ff]; // (N, d_ff)
        DiagRun.keyChunks(run.lm, run.layer, prompts, (start, tokens, keys) -> {
            int t = (int) tokens.length();
            float[] k = keys.toType(DataType.FLOAT32, false).toFloatArray(); // (B, T, d_ff)
            for (int b = 0; b < tokens.size(); b++) {
                System.arraycopy(k, (b * t + at[start + b]) * ff, rows, (start + b) * ff, ff);
            }
        });
        NDArray z = m.create(rows, new Shape(run.n, ff)).matMul(wt); // (N, d_ff), rows W k
        NDArray scale = z.mul(z).sum(new int[] {1}, true).add(1).sqrt(); // (N, 1)
        return z.div(scale).transpose().duplicate(); // (d_ff, N)
    }
}
