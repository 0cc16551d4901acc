/*
 * Where a key-based scope can and cannot separate an edit's own prompts from its neighbours: the
 * keys every closed-form method reads (the prompt's last token at the editing layer), whitened by
 * the scope's preserve term, and three scope rules scored on them after N edits. A diagnostic of
 * issue 29 (why same-relation locality collapses without relation labels), not an editing method.
 */
package dev.hookline.engine.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.hookline.data.EditRequest;
import dev.hookline.engine.edit.LayerStatistics;
import dev.hookline.engine.hook.ScopeFactors;
import dev.hookline.engine.infer.TextTokenizer;
import dev.hookline.engine.model.CausalLm;
import dev.hookline.engine.model.ForwardOptions;
import dev.hookline.engine.model.TokenBatch;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Scope scores of the first N edits' prompts, paraphrases and same-relation neighbours, after all N
 * edits, under three rules on whitened last-token keys z = W k ({@code W^T W = (lambda_s C0)^-1}):
 * <ul>
 *   <li>{@code span}: one span of every edited key (mean and plain key per edit), as
 *       coachhook-span-relation without labels: {@code rho(q) = y^T (I + Z^T Z)^-1 y / |q|^2},
 *       {@code y = Z^T q};</li>
 *   <li>{@code relation-spans}: one span per relation label, the largest rho over relations (an upper
 *       bound of the routed score of coachhook-span-relation with correct labels);</li>
 *   <li>{@code nearest-edit}: the largest single-key rho over the edited keys,
 *       {@code (z_i . q)^2 / ((1 + |z_i|^2) |q|^2)};</li>
 *   <li>{@code nearest-margin}: nearest-edit's score less the second-best edit's (each edit scored by
 *       the better of its two keys), in [0, nearest-edit]: a rule no method uses yet, measured because a
 *       neighbour lies near many edited keys of its relation and a paraphrase near its own edit's.</li>
 * </ul>
 * The spans nest (one edit's key is in its relation's span, which is in the span of all), so for
 * every query {@code nearest-edit <= relation-spans <= span}. A hooked position takes the edit
 * where its score passes the threshold; at the last editing layer only the prompt's last position
 * reaches the prediction, so a neighbour whose score stays below the threshold keeps its answer
 * exactly, and a paraphrase whose score stays below it cannot take the edit.
 */
public final class ScopeGeometry {
    private static final int BATCH = 32;

    private ScopeGeometry() {}

    /**
     * Scores per rule.
     *
     * @param edits the first N edits' own (plain) prompts, (N)
     * @param paraphrases every paraphrase prompt of those edits
     * @param neighbours every same-relation neighbour prompt of those edits
     */
    public record Scores(double[] edits, double[] paraphrases, double[] neighbours) {}

    /** Scores of each rule ("span", "relation-spans", "nearest-edit", "nearest-margin") after {@code n} edits. */
    public record Result(int n, int layer, double scopeLambda, Map<String, Scores> rules) {}

    /**
     * Scores the first {@code n} requests.
     *
     * @param contextPrefixes the prefixes of the mean key (plain prompt and the first {@code variants} prefixes)
     */
    public static Result measure(NDManager manager, CausalLm model, TextTokenizer tokenizer,
            List<EditRequest> requests, int n, LayerStatistics stats, int layer, double scopeLambda,
            List<String> contextPrefixes, int variants) {
        if (n < 1 || n > requests.size()) {
            throw new IllegalArgumentException("n must be in [1, " + requests.size() + "], got " + n);
        }
        int ff = model.config().mlpSize();
        List<EditRequest> reqs = requests.subList(0, n);
        // Edited keys: per edit its plain prompt and the context-prefixed variants (mean key), as the editor reads them.
        List<String> keyPrompts = new ArrayList<>();
        int per = 1 + Math.min(variants, contextPrefixes.size());
        for (EditRequest r : reqs) {
            keyPrompts.add(r.filledPrompt());
            for (int v = 1; v < per; v++) {
                keyPrompts.add(contextPrefixes.get(v - 1) + " " + r.filledPrompt());
            }
        }
        List<String> queries = new ArrayList<>();
        List<Integer> paraphraseAt = new ArrayList<>();
        List<Integer> neighbourAt = new ArrayList<>();
        for (EditRequest r : reqs) {
            for (String p : r.paraphrasePrompts()) {
                paraphraseAt.add(queries.size());
                queries.add(p);
            }
            for (String p : r.neighborhoodPrompts()) {
                neighbourAt.add(queries.size());
                queries.add(p);
            }
        }
        requireFits(n, queries.size());
        double[] w = ScopeFactors.whitening(manager, stats.c0(layer), ff, scopeLambda, "layer " + layer);
        try (NDManager work = manager.newSubManager()) {
            NDArray wt = work.create(w, new Shape(ff, ff)).transpose(); // (d_ff, d_ff), W^T
            NDArray variantKeys = lastKeys(work, model, tokenizer, keyPrompts, layer).matMul(wt); // (n per, d_ff)
            NDArray v3 = variantKeys.reshape(n, per, ff);
            NDArray mean = v3.mean(new int[] {1}); // (n, d_ff) whitened mean keys (W is linear)
            NDArray plain = v3.get(":, 0, :"); // (n, d_ff)
            NDArray z = mean.concat(plain, 0); // (2n, d_ff): rows i and n + i belong to edit i
            NDArray q = lastKeys(work, model, tokenizer, queries, layer).matMul(wt).concat(plain, 0); // (nq + n, d_ff)
            int nq = queries.size();
            double[] y = z.matMul(q.transpose()).toDoubleArray(); // (2n, nq + n)
            double[] qq = q.mul(q).sum(new int[] {1}).toDoubleArray(); // (nq + n)
            double[] zz = z.mul(z).sum(new int[] {1}).toDoubleArray(); // (2n)
            double[] gram = z.matMul(z.transpose()).toDoubleArray(); // (2n, 2n)
            int cols = nq + n;
            int[] all = new int[2 * n];
            Arrays.setAll(all, i -> i);
            double[] span = spanRho(work, gram, 2 * n, y, cols, all, qq);
            // relation spans: the rows of each label
            Map<String, List<Integer>> byRelation = new LinkedHashMap<>();
            for (int i = 0; i < n; i++) {
                String rel = reqs.get(i).relation() == null ? "_" : reqs.get(i).relation();
                byRelation.computeIfAbsent(rel, k -> new ArrayList<>()).add(i);
            }
            double[] relation = new double[cols];
            for (List<Integer> members : byRelation.values()) {
                int[] rows = new int[2 * members.size()];
                for (int j = 0; j < members.size(); j++) {
                    rows[j] = members.get(j);
                    rows[members.size() + j] = n + members.get(j);
                }
                double[] r = spanRho(work, gram, 2 * n, y, cols, rows, qq);
                for (int c = 0; c < cols; c++) {
                    relation[c] = Math.max(relation[c], r[c]);
                }
            }
            double[] nearest = new double[cols];
            double[] second = new double[cols]; // the second-best edit's score (its better key), per query
            for (int e = 0; e < n; e++) {
                for (int c = 0; c < cols; c++) {
                    double dm = y[e * cols + c];
                    double dp = y[(n + e) * cols + c];
                    double score = Math.max(dm * dm / ((1 + zz[e]) * qq[c]), dp * dp / ((1 + zz[n + e]) * qq[c]));
                    if (score > nearest[c]) {
                        second[c] = nearest[c];
                        nearest[c] = score;
                    } else if (score > second[c]) {
                        second[c] = score;
                    }
                }
            }
            double[] margin = new double[cols];
            for (int c = 0; c < cols; c++) {
                margin[c] = nearest[c] - second[c];
            }
            Map<String, Scores> rules = new LinkedHashMap<>();
            rules.put("span", split(span, paraphraseAt, neighbourAt, nq, n));
            rules.put("relation-spans", split(relation, paraphraseAt, neighbourAt, nq, n));
            rules.put("nearest-edit", split(nearest, paraphraseAt, neighbourAt, nq, n));
            rules.put("nearest-margin", split(margin, paraphraseAt, neighbourAt, nq, n));
            return new Result(n, layer, scopeLambda, rules);
        }
    }

    /**
     * Refuses an N whose key-by-query products do not fit one array: the span rules read every edited
     * key against every query at once, (2N, queries + N) float64.
     */
    static void requireFits(int n, int queries) {
        long bytes = 8L * 2 * n * ((long) queries + n);
        if (bytes > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(String.format(java.util.Locale.ROOT, "scope-geometry at %d edits holds"
                    + " (2N, queries + N) = (%d, %d) products, %.1f GB; at most 2 GB fit one array: use fewer --edits",
                    n, 2 * n, queries + n, bytes / 1e9));
        }
    }

    private static Scores split(double[] score, List<Integer> paraphraseAt, List<Integer> neighbourAt, int nq, int n) {
        return new Scores(Arrays.copyOfRange(score, nq, nq + n),
                paraphraseAt.stream().mapToDouble(i -> score[i]).toArray(),
                neighbourAt.stream().mapToDouble(i -> score[i]).toArray());
    }

    /**
     * rho of every query column against the span of the selected key rows: {@code y_S^T (I + G_SS)^-1 y_S / |q|^2}
     * with {@code G} the Gram matrix of the whitened keys, by Cholesky of {@code I + G_SS}.
     */
    static double[] spanRho(NDManager manager, double[] gram, int m, double[] y, int cols, int[] rows, double[] qq) {
        int s = rows.length;
        double[] a = new double[s * s];
        for (int i = 0; i < s; i++) {
            for (int j = 0; j < s; j++) {
                a[i * s + j] = gram[rows[i] * m + rows[j]] + (i == j ? 1 : 0);
            }
        }
        double[] ys = new double[s * cols];
        for (int i = 0; i < s; i++) {
            System.arraycopy(y, rows[i] * cols, ys, i * cols, cols);
        }
        try (NDManager work = manager.newSubManager()) {
            double[] l = ScopeFactors.choleskyLower(work, a, s); // I + G_SS = L L^T (eigenvalues >= 1)
            double[] li = ScopeFactors.lowerInverse(work, l, s);
            NDArray u = work.create(li, new Shape(s, s)).matMul(work.create(ys, new Shape(s, cols))); // L^-1 y
            double[] num = u.mul(u).sum(new int[] {0}).toDoubleArray();
            double[] rho = new double[cols];
            for (int c = 0; c < cols; c++) {
                rho[c] = num[c] / qq[c];
            }
            return rho;
        }
    }

    /** Keys at {@code layer} of each prompt's last token, (P, d_ff) float64. */
    static NDArray lastKeys(NDManager manager, CausalLm model, TextTokenizer tokenizer, List<String> prompts, int layer) {
        int ff = model.config().mlpSize();
        int maxLen = model.config().maxPositions();
        double[] out = new double[prompts.size() * ff];
        for (int from = 0; from < prompts.size(); from += BATCH) {
            List<int[]> rows = new ArrayList<>();
            for (String p : prompts.subList(from, Math.min(prompts.size(), from + BATCH))) {
                int[] ids = tokenizer.encode(p);
                if (ids.length == 0 || ids.length > maxLen) {
                    throw new IllegalArgumentException("prompt has " + ids.length + " tokens (1.." + maxLen + "): " + p);
                }
                rows.add(ids);
            }
            TokenBatch batch = TokenBatch.of(rows, model.config().eosTokenId());
            try (NDManager work = manager.newSubManager()) {
                NDArray keys = model.forward(work, batch,
                        ForwardOptions.builder().captureKeys(layer).computeLogits(false).build()).keys(layer);
                float[] flat = keys.toType(DataType.FLOAT32, false).toFloatArray(); // (B, T, d_ff)
                for (int b = 0; b < batch.size(); b++) {
                    int base = (b * batch.length() + batch.length(b) - 1) * ff;
                    for (int a = 0; a < ff; a++) {
                        out[(from + b) * ff + a] = flat[base + a];
                    }
                }
            }
        }
        NDArray keys = manager.create(out, new Shape(prompts.size(), ff));
        return keys;
    }

    /** Share of {@code scores} at or above {@code t}. */
    public static double share(double[] scores, double t) {
        return scores.length == 0 ? 0 : Arrays.stream(scores).filter(s -> s >= t).count() / (double) scores.length;
    }

    /** The probability that a random paraphrase scores above a random neighbour (ties count half). */
    public static double auc(double[] positives, double[] negatives) {
        double[] neg = negatives.clone();
        Arrays.sort(neg);
        double sum = 0;
        for (double p : positives) {
            int below = lowerBound(neg, p);
            int notAbove = upperBound(neg, p);
            sum += below + 0.5 * (notAbove - below);
        }
        return sum / ((double) positives.length * neg.length);
    }

    /** The smallest threshold that keeps at least {@code keep} of {@code negatives} below it. */
    public static double thresholdKeeping(double[] negatives, double keep) {
        double[] s = negatives.clone();
        Arrays.sort(s);
        int idx = (int) Math.ceil(keep * s.length) - 1;
        double t = s[Math.max(0, Math.min(s.length - 1, idx))];
        return Math.nextUp(t);
    }

    private static int lowerBound(double[] a, double v) {
        int lo = 0;
        int hi = a.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (a[mid] < v) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    private static int upperBound(double[] a, double v) {
        int lo = 0;
        int hi = a.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (a[mid] <= v) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }
}
