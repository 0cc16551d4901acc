/*
 * The hook bundle: the saved state of one hook version, serving part apart from editing part.
 * Layout (format hookline-hook-bundle/1 for the z-score scopes, hookline-hook-bundle/2 for the
 * span scope; a reader accepts both):
 *   manifest.json        format, base model digest, method, hyperparameters, layers, alpha and
 *                        scope per layer, lambda, parent digest, edits, statistics digest, files
 *   serving.safetensors  delta.<l> = W_h - W_0 (d_ff, d) F32 and alpha.<l> (1) F64 per layer;
 *                        span scope only (format /2), per layer also what serving needs to score
 *                        keys: scope_preserve_inv.<l> = (lambda_s C0)^-1 and scope_accu_inv.<l> =
 *                        (lambda_s C0 + sum K K^T)^-1, both (d_ff, d_ff) F64 (2 d_ff^2 8 bytes per
 *                        layer); lambda_s is the manifest's scopeLambda (absent in bundles written
 *                        before it existed: then lambda_s = lambda and the second is C_accu^-1)
 *                        span-relation scope (format /3): scope_preserve_inv.<l> as above and per
 *                        relation j (the manifest's "relations" list, in order) scope_rel_inv.<l>.<j>
 *                        = (lambda_s C0 + K_j K_j^T)^-1 (d_ff, d_ff) F64 and scope_rel_keysum.<l>.<j>
 *                        = the sum of relation j's edited keys (d_ff) F64 (its routing direction);
 *                        the manifest's relationScopeKeys says which keys K_j holds per edit ("mean",
 *                        the update's key, or "mean+plain", that key and the plain prompt's; absent
 *                        in bundles written before it existed: "mean"), and relationRoutes under how
 *                        many nearest relations a key is scored (1 or 2; absent in bundles written
 *                        before it existed: 1)
 *                        nearest-edit scope (format /4, method coachhook-nearest): scope_whiten_t.<l>
 *                        = W^T with W^T W = (lambda_s C0)^-1 (d_ff, d_ff) F32 and scope_keys.<l> = the
 *                        scaled whitened edited keys a_i = W k_i / sqrt(1 + |W k_i|^2) as columns
 *                        (d_ff, E) F32, E = the manifest's nearestKeys (two per edit: mean and plain)
 *                        nearest-edit scope with shards (format /5, method alphaedit-shards, once a
 *                        second shard opened): format /4 plus, per layer, delta.<l>.shard<s> (d_ff, d)
 *                        F32 for every earlier shard s = 0..S-2 (delta.<l> is the current shard's) and
 *                        the manifest's shardStarts, the first key column of shards 1..S-1
 *                        nearest-edit scope with a codebook (format /6, method codebook-nearest): format /4
 *                        plus, per layer, codebook.<l> (E + 1, d) F32: row 0 zeros, row c + 1 the residual
 *                        served for edited-key column c (delta.<l> is zero); no editing part (the keys and
 *                        the rows are all a further edit needs)
 *                        codebook with a subject gate (format /7, method codebook-subject): format /6 plus
 *                        the manifest's scopeSubjects, the subject of each edited-key column (a position may
 *                        take a column only after its subject's tokens)
 *   editing.safetensors  c_accu.<l> (d_ff, d_ff) F64 per layer
 * Sizes do not depend on the number of edits (W_h, C_accu and its inverse are fixed-size); a
 * span-relation bundle grows with the number of relations edited (one inverse each per layer), a
 * nearest-edit bundle with the number of edits (two d_ff float32 keys each per layer).
 * Reference: CoachHooK hook state; DESIGN.md sections 3 and 5 (serving vs editing blobs).
 */
package dev.hookline.engine.bundle;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A hook version in Java types. {@code deltas} and {@code cAccu} are row-major per layer.
 *
 * @param method editing method (coachhook, coachhook-corpus, coachhook-plus, coachhook-span)
 * @param hyperparameters method hyperparameters as a JSON object text
 * @param baseModelDigest digest of the base model the hooks apply to
 * @param parentDigest digest of the parent bundle's manifest, or null for the first version
 * @param statisticsDigest digest of the key statistics (C0) file used
 * @param edits number of edits in this version's history
 * @param lambda covariance weight
 * @param layers editing layers, ascending
 * @param mlpSize d_ff
 * @param hiddenSize d
 * @param alpha alpha per layer
 * @param scope scope test name ("sequence-z", "corpus-z" or "span")
 * @param scopeMu corpus mean of m per layer (corpus-z only, else empty)
 * @param scopeSigma corpus std of m per layer (corpus-z only, else empty)
 * @param deltas W_h - W_0 per layer, (d_ff, d) float32
 * @param cAccu C_accu per layer, (d_ff, d_ff) float64; null when only the serving part was loaded
 * @param scopePreserveInverse span scope only (else null): (scopeLambda C0)^-1 per layer, (d_ff, d_ff) float64
 * @param scopeAccuInverse span scope only (else null): (scopeLambda C0 + sum K K^T)^-1 per layer, (d_ff, d_ff)
 *     float64 (C_accu^-1 when scopeLambda = lambda)
 * @param scopeLambda the lambda inside the span scope's score (equal to {@code lambda} for the other scopes)
 * @param relationScopes span-relation scope only (else null): per relation its inverse and key sum per layer
 * @param architecture the base model's architecture ({@code model_type}: gpt2, gptj, llama, mistral,
 *     qwen2); manifests from before it was recorded are GPT-2's
 * @param nearestScope nearest-edit scope only (else null): per layer W^T and the scaled whitened edited keys
 */
public record HookBundle(String method, String hyperparameters, String baseModelDigest, String parentDigest,
        String statisticsDigest, int edits, double lambda, int[] layers, int mlpSize, int hiddenSize,
        Map<Integer, Double> alpha, String scope, Map<Integer, Double> scopeMu, Map<Integer, Double> scopeSigma,
        Map<Integer, float[]> deltas, Map<Integer, double[]> cAccu,
        Map<Integer, double[]> scopePreserveInverse, Map<Integer, double[]> scopeAccuInverse, double scopeLambda,
        RelationScopes relationScopes, String architecture, NearestScope nearestScope) {

    /** A bundle without a nearest-edit scope. */
    public HookBundle(String method, String hyperparameters, String baseModelDigest, String parentDigest,
            String statisticsDigest, int edits, double lambda, int[] layers, int mlpSize, int hiddenSize,
            Map<Integer, Double> alpha, String scope, Map<Integer, Double> scopeMu, Map<Integer, Double> scopeSigma,
            Map<Integer, float[]> deltas, Map<Integer, double[]> cAccu,
            Map<Integer, double[]> scopePreserveInverse, Map<Integer, double[]> scopeAccuInverse, double scopeLambda,
            RelationScopes relationScopes, String architecture) {
        this(method, hyperparameters, baseModelDigest, parentDigest, statisticsDigest, edits, lambda, layers, mlpSize,
                hiddenSize, alpha, scope, scopeMu, scopeSigma, deltas, cAccu, scopePreserveInverse, scopeAccuInverse,
                scopeLambda, relationScopes, architecture, null);
    }

    /**
     * The nearest-edit scope's state (coachhook-nearest bundles).
     *
     * @param whiteningT per layer W^T, (d_ff, d_ff) row-major float32, {@code W^T W = (lambda_s C0)^-1}
     * @param keys per layer the scaled whitened edited keys as columns, (d_ff, keyCount) row-major float32
     * @param keyCount E, the edited keys per layer (two per edit), at least one
     * @param shardStarts alphaedit-shards: the first key column of shards 1..S-1, ascending (empty: one shard)
     * @param earlierDeltas alphaedit-shards: per layer the deltas of shards 0..S-2, (d_ff, d) row-major float32
     *     each (the bundle's deltas are the current shard's); empty lists for one shard
     * @param codebook codebook-nearest: per layer the rows (keyCount + 1, d) row-major float32, row 0 zeros and row
     *     c + 1 the residual of key column c; empty for delta hooks
     * @param subjects codebook-subject: the subject of each key column (keyCount of them); empty without a gate
     */
    public record NearestScope(Map<Integer, float[]> whiteningT, Map<Integer, float[]> keys, int keyCount,
            long[] shardStarts, Map<Integer, List<float[]>> earlierDeltas, Map<Integer, float[]> codebook,
            List<String> subjects) {
        /** Without a subject gate. */
        public NearestScope(Map<Integer, float[]> whiteningT, Map<Integer, float[]> keys, int keyCount,
                long[] shardStarts, Map<Integer, List<float[]>> earlierDeltas, Map<Integer, float[]> codebook) {
            this(whiteningT, keys, keyCount, shardStarts, earlierDeltas, codebook, List.of());
        }

        /** True when a subject gate goes with the codebook (codebook-subject). */
        public boolean gated() {
            return !subjects.isEmpty();
        }

        /** Delta hooks (no codebook). */
        public NearestScope(Map<Integer, float[]> whiteningT, Map<Integer, float[]> keys, int keyCount,
                long[] shardStarts, Map<Integer, List<float[]>> earlierDeltas) {
            this(whiteningT, keys, keyCount, shardStarts, earlierDeltas, Map.of());
        }

        /** True for codebook-nearest's rows. */
        public boolean hasCodebook() {
            return !codebook.isEmpty();
        }

        public NearestScope {
            if (!codebook.isEmpty() && shardStarts.length > 0) {
                throw new IllegalArgumentException("a codebook has no shards");
            }
            if (keyCount < 1) {
                throw new IllegalArgumentException("a nearest-edit scope holds at least one edited key, got " + keyCount);
            }
            subjects = List.copyOf(subjects);
            if (!subjects.isEmpty() && (shardStarts.length > 0 || subjects.size() != keyCount
                    || subjects.stream().anyMatch(String::isBlank))) {
                throw new IllegalArgumentException("a subject gate needs one non-blank subject per key column ("
                        + keyCount + "), got " + subjects.size() + ", and no shards");
            }
            for (int i = 0; i < shardStarts.length; i++) {
                if (shardStarts[i] < 1 || shardStarts[i] > keyCount || (i > 0 && shardStarts[i] <= shardStarts[i - 1])) {
                    throw new IllegalArgumentException("shard starts must ascend strictly within 1.." + keyCount + ", got "
                            + Arrays.toString(shardStarts));
                }
            }
            for (List<float[]> e : earlierDeltas.values()) {
                if (e.size() != shardStarts.length) {
                    throw new IllegalArgumentException(shardStarts.length + " shard starts need as many earlier shard"
                            + " deltas per layer, got " + e.size());
                }
            }
            shardStarts = shardStarts.clone();
        }

        /** One shard. */
        public NearestScope(Map<Integer, float[]> whiteningT, Map<Integer, float[]> keys, int keyCount) {
            this(whiteningT, keys, keyCount, new long[0], Map.of());
        }

        /** Shards, S. */
        public int shards() {
            return shardStarts.length + 1;
        }
    }

    /** A bundle for a GPT-2 base model (the form before the architecture was recorded). */
    public HookBundle(String method, String hyperparameters, String baseModelDigest, String parentDigest,
            String statisticsDigest, int edits, double lambda, int[] layers, int mlpSize, int hiddenSize,
            Map<Integer, Double> alpha, String scope, Map<Integer, Double> scopeMu, Map<Integer, Double> scopeSigma,
            Map<Integer, float[]> deltas, Map<Integer, double[]> cAccu,
            Map<Integer, double[]> scopePreserveInverse, Map<Integer, double[]> scopeAccuInverse, double scopeLambda,
            RelationScopes relationScopes) {
        this(method, hyperparameters, baseModelDigest, parentDigest, statisticsDigest, edits, lambda, layers, mlpSize,
                hiddenSize, alpha, scope, scopeMu, scopeSigma, deltas, cAccu, scopePreserveInverse, scopeAccuInverse,
                scopeLambda, relationScopes, dev.hookline.engine.model.Architecture.GPT2.modelType());
    }

    /**
     * The per-relation span scope's state (span-relation bundles).
     *
     * @param names relation names, in order, distinct, at least one
     * @param edits edits per relation, each >= 1 (the routing directions are key sums over these)
     * @param inverses per layer, per relation (lambda_s C0 + K_j K_j^T)^-1, (d_ff, d_ff) row-major float64
     * @param keySums per layer, per relation the sum of its edited (mean) keys, (d_ff)
     * @param scopeKeys which keys of each edit K_j holds: "mean" or "mean+plain" (CoachHookParams.scopeKeys)
     * @param routes under how many nearest relations serving scores a key, 1 or 2 (CoachHookParams.scopeRoutes)
     */
    public record RelationScopes(List<String> names, List<Integer> edits, Map<Integer, List<double[]>> inverses,
            Map<Integer, List<double[]>> keySums, String scopeKeys, int routes) {
        /** Relation scopes that score a key under its nearest relation only. */
        public RelationScopes(List<String> names, List<Integer> edits, Map<Integer, List<double[]>> inverses,
                Map<Integer, List<double[]>> keySums, String scopeKeys) {
            this(names, edits, inverses, keySums, scopeKeys, 1);
        }

        public RelationScopes {
            if (routes != 1 && routes != 2) {
                throw new IllegalArgumentException("relation scopes score a key under 1 or 2 relations, got " + routes);
            }
            if (!"mean".equals(scopeKeys) && !"mean+plain".equals(scopeKeys)) {
                throw new IllegalArgumentException("relation spans hold 'mean' or 'mean+plain' keys, got '" + scopeKeys + "'");
            }
            names = List.copyOf(names);
            edits = List.copyOf(edits);
            if (names.isEmpty() || names.size() != edits.size() || names.stream().distinct().count() != names.size()) {
                throw new IllegalArgumentException("relation scopes need distinct names with one edit count each, got "
                        + names + " and " + edits);
            }
            for (int e : edits) {
                if (e < 1) {
                    throw new IllegalArgumentException("every relation of a bundle has at least one edit, got " + edits);
                }
            }
        }
    }

    /** Format of bundles with a z-score scope (sequence-z, corpus-z); unchanged since the first version. */
    public static final String FORMAT = "hookline-hook-bundle/1";
    /** Format of bundles with the span scope: format /1 plus the two scope inverses in the serving part. */
    public static final String FORMAT_SPAN = "hookline-hook-bundle/2";
    /** The span scope's name in the manifest. */
    public static final String SPAN = "span";
    /** Format of bundles with the per-relation span scope: format /2 with one inverse and key sum per relation. */
    public static final String FORMAT_SPAN_RELATION = "hookline-hook-bundle/3";
    /** The per-relation span scope's name in the manifest. */
    public static final String SPAN_RELATION = "span-relation";
    /** Format of bundles with the nearest-edit scope: format /1 with W^T and the edited keys per layer. */
    public static final String FORMAT_NEAREST = "hookline-hook-bundle/4";
    /** Format of nearest-edit bundles with more than one shard: format /4 with the earlier shards' deltas. */
    public static final String FORMAT_NEAREST_SHARDS = "hookline-hook-bundle/5";
    /** Format of nearest-edit bundles with a codebook (codebook-nearest): format /4 with the rows, no editing part. */
    public static final String FORMAT_NEAREST_CODEBOOK = "hookline-hook-bundle/6";
    /** Format of codebook bundles with a subject gate (codebook-subject): format /6 with each key column's subject. */
    public static final String FORMAT_NEAREST_CODEBOOK_SUBJECT = "hookline-hook-bundle/7";
    /** The nearest-edit scope's name in the manifest. */
    public static final String NEAREST = "nearest";
    public static final String MANIFEST = "manifest.json";
    public static final String SERVING = "serving.safetensors";
    public static final String EDITING = "editing.safetensors";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public HookBundle {
        dev.hookline.engine.model.Architecture.fromModelType(architecture); // a supported model_type
        if (layers.length == 0) {
            throw new IllegalArgumentException("a hook bundle needs at least one layer");
        }
        for (int l : layers) {
            if (!alpha.containsKey(l) || !deltas.containsKey(l)) {
                throw new IllegalArgumentException("hook bundle lacks alpha or delta of layer " + l);
            }
            if (deltas.get(l).length != (long) mlpSize * hiddenSize) {
                throw new IllegalArgumentException("delta of layer " + l + " has " + deltas.get(l).length
                        + " values, expected d_ff * d = " + (long) mlpSize * hiddenSize);
            }
            if (cAccu != null && cAccu.get(l).length != (long) mlpSize * mlpSize) {
                throw new IllegalArgumentException("C_accu of layer " + l + " has the wrong size");
            }
        }
        if (!scope.equals("sequence-z") && !scope.equals("corpus-z") && !scope.equals(SPAN)
                && !scope.equals(SPAN_RELATION) && !scope.equals(NEAREST)) {
            throw new IllegalArgumentException("unknown scope test " + scope);
        }
        if (scope.equals(NEAREST) != (nearestScope != null)) {
            throw new IllegalArgumentException("a nearest-edit scope belongs to nearest bundles, and they need one");
        }
        if (scope.equals(SPAN_RELATION) != (relationScopes != null)) {
            throw new IllegalArgumentException("relation scopes belong to span-relation bundles, and they need them");
        }
        if (scope.equals(SPAN_RELATION)) {
            long n = (long) mlpSize * mlpSize;
            if (scopePreserveInverse == null || scopeAccuInverse != null) {
                throw new IllegalArgumentException("a span-relation bundle has (lambda_s C0)^-1 per layer and no"
                        + " one-span inverse");
            }
            int r = relationScopes.names().size();
            for (int l : layers) {
                List<double[]> inv = relationScopes.inverses().get(l);
                List<double[]> sums = relationScopes.keySums().get(l);
                if (!scopePreserveInverse.containsKey(l) || scopePreserveInverse.get(l).length != n || inv == null
                        || sums == null || inv.size() != r || sums.size() != r
                        || inv.stream().anyMatch(a -> a.length != n) || sums.stream().anyMatch(a -> a.length != mlpSize)) {
                    throw new IllegalArgumentException("span-relation scope of layer " + l + " needs (d_ff, d_ff) inverses"
                            + " and (d_ff) key sums for its " + r + " relations");
                }
            }
            if (!(scopeLambda > 0) || !Double.isFinite(scopeLambda)) {
                throw new IllegalArgumentException("span scope lambda must be finite and > 0, got " + scopeLambda);
            }
        } else if (scope.equals(SPAN)) {
            if (scopePreserveInverse == null || scopeAccuInverse == null) {
                throw new IllegalArgumentException("a span-scope bundle needs (lambda C0)^-1 and C_accu^-1 per layer");
            }
            for (int l : layers) {
                long n = (long) mlpSize * mlpSize;
                if (!scopePreserveInverse.containsKey(l) || !scopeAccuInverse.containsKey(l)
                        || scopePreserveInverse.get(l).length != n || scopeAccuInverse.get(l).length != n) {
                    throw new IllegalArgumentException("span scope inverses of layer " + l
                            + " are missing or not (d_ff, d_ff) = " + n + " values");
                }
            }
            if (!(scopeLambda > 0) || !Double.isFinite(scopeLambda)) {
                throw new IllegalArgumentException("span scope lambda must be finite and > 0, got " + scopeLambda);
            }
        } else if (scope.equals(NEAREST)) {
            if (scopePreserveInverse != null || scopeAccuInverse != null) {
                throw new IllegalArgumentException("a nearest bundle has no span inverses");
            }
            for (int l : layers) {
                float[] w = nearestScope.whiteningT().get(l);
                float[] k = nearestScope.keys().get(l);
                if (w == null || k == null || w.length != (long) mlpSize * mlpSize
                        || k.length != (long) mlpSize * nearestScope.keyCount()) {
                    throw new IllegalArgumentException("nearest scope of layer " + l + " needs W^T (d_ff, d_ff) and "
                            + nearestScope.keyCount() + " keys of d_ff");
                }
                List<float[]> earlier = nearestScope.earlierDeltas().getOrDefault(l, List.of());
                if (earlier.size() != nearestScope.shards() - 1
                        || earlier.stream().anyMatch(e -> e.length != (long) mlpSize * hiddenSize)) {
                    throw new IllegalArgumentException("nearest scope of layer " + l + " has " + nearestScope.shards()
                            + " shards and needs " + (nearestScope.shards() - 1) + " earlier (d_ff, d) deltas");
                }
                if (nearestScope.hasCodebook()) {
                    float[] rows = nearestScope.codebook().get(l);
                    if (rows == null || rows.length != (nearestScope.keyCount() + 1L) * hiddenSize) {
                        throw new IllegalArgumentException("codebook of layer " + l + " needs " + (nearestScope.keyCount() + 1)
                                + " rows of d");
                    }
                }
            }
            if (nearestScope.hasCodebook() && cAccu != null) {
                throw new IllegalArgumentException("a codebook bundle has no editing part (C_accu)");
            }
            if (!(scopeLambda > 0) || !Double.isFinite(scopeLambda)) {
                throw new IllegalArgumentException("nearest scope lambda must be finite and > 0, got " + scopeLambda);
            }
        } else if (scopePreserveInverse != null || scopeAccuInverse != null) {
            throw new IllegalArgumentException("scope inverses belong to span-scope bundles only, scope is " + scope);
        } else if (scopeLambda != lambda) {
            throw new IllegalArgumentException("a separate scope lambda belongs to span-scope bundles only, scope is "
                    + scope);
        }
        layers = layers.clone();
    }

    /** A bundle with a z-score scope (sequence-z or corpus-z): no span scope inverses. */
    public HookBundle(String method, String hyperparameters, String baseModelDigest, String parentDigest,
            String statisticsDigest, int edits, double lambda, int[] layers, int mlpSize, int hiddenSize,
            Map<Integer, Double> alpha, String scope, Map<Integer, Double> scopeMu, Map<Integer, Double> scopeSigma,
            Map<Integer, float[]> deltas, Map<Integer, double[]> cAccu) {
        this(method, hyperparameters, baseModelDigest, parentDigest, statisticsDigest, edits, lambda, layers, mlpSize,
                hiddenSize, alpha, scope, scopeMu, scopeSigma, deltas, cAccu, null, null, lambda, null);
    }

    /** The format string this bundle is written with. */
    public String format() {
        if (nearestScope != null && nearestScope.gated() && !nearestScope.hasCodebook()) {
            throw new IllegalStateException("a subject gate goes with a codebook (codebook-subject); this bundle has none");
        }
        if (nearestScope != null && nearestScope.hasCodebook()) {
            return nearestScope.gated() ? FORMAT_NEAREST_CODEBOOK_SUBJECT : FORMAT_NEAREST_CODEBOOK;
        }
        return nearestScope != null && nearestScope.shards() > 1 ? FORMAT_NEAREST_SHARDS : formatOf(scope);
    }

    private static String formatOf(String scope) {
        return switch (scope) {
            case SPAN -> FORMAT_SPAN;
            case SPAN_RELATION -> FORMAT_SPAN_RELATION;
            case NEAREST -> FORMAT_NEAREST;
            default -> FORMAT;
        };
    }

    /** True for the span scopes, which carry lambda_s and (lambda_s C0)^-1. */
    private static boolean spanKind(String scope) {
        return scope.equals(SPAN) || scope.equals(SPAN_RELATION);
    }

    /**
     * Writes the bundle into {@code dir} (must not exist or be empty); returns the manifest's
     * sha256, the version digest. Files are written in a temporary sibling directory and moved
     * into place, so a failure leaves nothing half-written.
     */
    public String write(Path dir) throws IOException {
        if (Files.isDirectory(dir) && Files.list(dir).findAny().isPresent()) {
            throw new IllegalArgumentException("bundle directory " + dir + " is not empty");
        }
        Path parent = dir.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path tmp = Files.createTempDirectory(parent, dir.getFileName() + ".tmp");
        try {
            List<TensorFile.Tensor> serving = new ArrayList<>();
            List<TensorFile.Tensor> editing = new ArrayList<>();
            for (int l : layers) {
                serving.add(TensorFile.Tensor.f32("delta." + l, new long[] {mlpSize, hiddenSize}, deltas.get(l)));
                serving.add(new TensorFile.Tensor("alpha." + l, "F64", new long[] {1}, new double[] {alpha.get(l)}));
                if (spanKind(scope)) {
                    serving.add(new TensorFile.Tensor("scope_preserve_inv." + l, "F64", new long[] {mlpSize, mlpSize},
                            scopePreserveInverse.get(l)));
                }
                if (scope.equals(SPAN)) {
                    serving.add(new TensorFile.Tensor("scope_accu_inv." + l, "F64", new long[] {mlpSize, mlpSize},
                            scopeAccuInverse.get(l)));
                }
                if (scope.equals(SPAN_RELATION)) {
                    for (int j = 0; j < relationScopes.names().size(); j++) {
                        serving.add(new TensorFile.Tensor("scope_rel_inv." + l + "." + j, "F64",
                                new long[] {mlpSize, mlpSize}, relationScopes.inverses().get(l).get(j)));
                        serving.add(new TensorFile.Tensor("scope_rel_keysum." + l + "." + j, "F64", new long[] {mlpSize},
                                relationScopes.keySums().get(l).get(j)));
                    }
                }
                if (scope.equals(NEAREST)) {
                    serving.add(TensorFile.Tensor.f32("scope_whiten_t." + l, new long[] {mlpSize, mlpSize},
                            nearestScope.whiteningT().get(l)));
                    serving.add(TensorFile.Tensor.f32("scope_keys." + l, new long[] {mlpSize, nearestScope.keyCount()},
                            nearestScope.keys().get(l)));
                    List<float[]> earlier = nearestScope.earlierDeltas().getOrDefault(l, List.of());
                    for (int sh = 0; sh < earlier.size(); sh++) {
                        serving.add(TensorFile.Tensor.f32("delta." + l + ".shard" + sh, new long[] {mlpSize, hiddenSize},
                                earlier.get(sh)));
                    }
                    if (nearestScope.hasCodebook()) {
                        serving.add(TensorFile.Tensor.f32("codebook." + l,
                                new long[] {nearestScope.keyCount() + 1L, hiddenSize}, nearestScope.codebook().get(l)));
                    }
                }
                if (cAccu != null) {
                    editing.add(new TensorFile.Tensor("c_accu." + l, "F64", new long[] {mlpSize, mlpSize}, cAccu.get(l)));
                }
            }
            TensorFile.write(tmp.resolve(SERVING), serving, Map.of("format", format(), "role", "serving"));
            if (cAccu != null) {
                TensorFile.write(tmp.resolve(EDITING), editing, Map.of("format", format(), "role", "editing"));
            }
            ObjectNode m = JSON.createObjectNode();
            m.put("format", format());
            m.put("method", method);
            m.set("hyperparameters", JSON.readTree(hyperparameters));
            m.put("baseModelDigest", baseModelDigest);
            m.put("architecture", architecture);
            if (parentDigest == null) {
                m.putNull("parentDigest");
            } else {
                m.put("parentDigest", parentDigest);
            }
            m.put("statisticsDigest", statisticsDigest);
            m.put("edits", edits);
            m.put("lambda", lambda);
            if (spanKind(scope) || scope.equals(NEAREST)) {
                m.put("scopeLambda", scopeLambda);
            }
            if (scope.equals(NEAREST)) {
                m.put("nearestKeys", nearestScope.keyCount());
                if (nearestScope.gated()) {
                    ArrayNode subjects = m.putArray("scopeSubjects");
                    nearestScope.subjects().forEach(subjects::add);
                }
                if (nearestScope.shards() > 1) {
                    ArrayNode starts = m.putArray("shardStarts");
                    for (long start : nearestScope.shardStarts()) {
                        starts.add(start);
                    }
                }
            }
            if (scope.equals(SPAN_RELATION)) {
                ArrayNode rs = m.putArray("relations");
                for (int j = 0; j < relationScopes.names().size(); j++) {
                    rs.addObject().put("name", relationScopes.names().get(j)).put("edits", relationScopes.edits().get(j));
                }
                m.put("relationScopeKeys", relationScopes.scopeKeys());
                m.put("relationRoutes", relationScopes.routes());
            }
            m.put("mlpSize", mlpSize);
            m.put("hiddenSize", hiddenSize);
            m.put("scope", scope);
            ArrayNode ls = m.putArray("layers");
            for (int l : layers) {
                ObjectNode ln = ls.addObject();
                ln.put("layer", l);
                ln.put("alpha", alpha.get(l));
                if (scope.equals("corpus-z")) {
                    ln.put("scopeMu", scopeMu.get(l));
                    ln.put("scopeSigma", scopeSigma.get(l));
                }
            }
            ArrayNode files = m.putArray("files");
            addFile(files, tmp, SERVING, "serving");
            if (cAccu != null) {
                addFile(files, tmp, EDITING, "editing");
            }
            Files.write(tmp.resolve(MANIFEST), JSON.writeValueAsBytes(m));
            String digest = Digests.file(tmp.resolve(MANIFEST));
            if (Files.isDirectory(dir)) {
                Files.delete(dir);
            }
            Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
            return digest;
        } finally {
            if (Files.exists(tmp)) {
                try (var s = Files.list(tmp)) {
                    for (Path p : s.toList()) {
                        Files.deleteIfExists(p);
                    }
                }
                Files.deleteIfExists(tmp);
            }
        }
    }

    private static void addFile(ArrayNode files, Path dir, String name, String role) throws IOException {
        ObjectNode f = files.addObject();
        f.put("name", name);
        f.put("role", role);
        f.put("sha256", Digests.file(dir.resolve(name)));
        f.put("size", Files.size(dir.resolve(name)));
    }

    /** The sha256 of a bundle's manifest (its version digest). */
    public static String digest(Path dir) throws IOException {
        return Digests.file(dir.resolve(MANIFEST));
    }

    /** Reads a whole bundle (serving and editing parts), verifying every file's sha256 and size. */
    public static HookBundle read(Path dir) throws IOException {
        return read(dir, true);
    }

    /**
     * Reads a bundle; with {@code withEditing = false} only the serving part is read and verified
     * (what a serving node needs), and {@link #cAccu()} is null.
     */
    public static HookBundle read(Path dir, boolean withEditing) throws IOException {
        Path manifestFile = dir.resolve(MANIFEST);
        if (!Files.isRegularFile(manifestFile)) {
            throw new IllegalArgumentException("not a hook bundle: " + dir + " has no " + MANIFEST);
        }
        JsonNode m = JSON.readTree(manifestFile.toFile());
        String format = m.path("format").asText();
        if (!FORMAT.equals(format) && !FORMAT_SPAN.equals(format) && !FORMAT_SPAN_RELATION.equals(format)
                && !FORMAT_NEAREST.equals(format) && !FORMAT_NEAREST_SHARDS.equals(format)
                && !FORMAT_NEAREST_CODEBOOK.equals(format) && !FORMAT_NEAREST_CODEBOOK_SUBJECT.equals(format)) {
            throw new IllegalArgumentException(dir + ": unsupported bundle format '" + format
                    + "', expected " + FORMAT + ", " + FORMAT_SPAN + ", " + FORMAT_SPAN_RELATION + ", " + FORMAT_NEAREST
                    + ", " + FORMAT_NEAREST_SHARDS + ", " + FORMAT_NEAREST_CODEBOOK + " or "
                    + FORMAT_NEAREST_CODEBOOK_SUBJECT);
        }
        boolean gated = FORMAT_NEAREST_CODEBOOK_SUBJECT.equals(format);
        String scope = m.path("scope").asText();
        boolean sharded = FORMAT_NEAREST_SHARDS.equals(format);
        boolean withCodebook = FORMAT_NEAREST_CODEBOOK.equals(format) || gated;
        withEditing = withEditing && !withCodebook; // a codebook bundle has no editing part
        if (!formatOf(scope).equals(sharded || withCodebook ? FORMAT_NEAREST : format)) {
            throw new IllegalArgumentException(dir + ": scope '" + scope + "' does not belong to bundle format " + format);
        }
        Map<String, JsonNode> files = new LinkedHashMap<>();
        for (JsonNode f : m.path("files")) {
            files.put(f.path("role").asText(), f);
        }
        TensorFile.Contents serving = TensorFile.read(verified(dir, files.get("serving"), "serving"));
        TensorFile.Contents editing = withEditing ? TensorFile.read(verified(dir, files.get("editing"), "editing")) : null;
        int ff = m.path("mlpSize").asInt();
        int d = m.path("hiddenSize").asInt();
        List<Integer> layerList = new ArrayList<>();
        Map<Integer, Double> alpha = new LinkedHashMap<>();
        Map<Integer, Double> mu = new LinkedHashMap<>();
        Map<Integer, Double> sigma = new LinkedHashMap<>();
        Map<Integer, float[]> deltas = new LinkedHashMap<>();
        Map<Integer, double[]> cAccu = withEditing ? new LinkedHashMap<>() : null;
        boolean span = scope.equals(SPAN);
        boolean relation = scope.equals(SPAN_RELATION);
        Map<Integer, double[]> preserveInverse = spanKind(scope) ? new LinkedHashMap<>() : null;
        Map<Integer, double[]> accuInverse = span ? new LinkedHashMap<>() : null;
        List<String> relationNames = new ArrayList<>();
        List<Integer> relationEdits = new ArrayList<>();
        for (JsonNode r : m.path("relations")) {
            relationNames.add(r.path("name").asText());
            relationEdits.add(r.path("edits").asInt());
        }
        boolean nearest = scope.equals(NEAREST);
        int nearestKeys = m.path("nearestKeys").asInt(0);
        Map<Integer, float[]> nearestWhitening = new LinkedHashMap<>();
        Map<Integer, float[]> nearestKeyColumns = new LinkedHashMap<>();
        long[] shardStarts = new long[m.path("shardStarts").size()];
        for (int i = 0; i < shardStarts.length; i++) {
            shardStarts[i] = m.path("shardStarts").get(i).asLong();
        }
        if (sharded != (shardStarts.length > 0)) {
            throw new IllegalArgumentException(dir + ": format " + format + " and " + shardStarts.length
                    + " shard starts do not go together");
        }
        Map<Integer, List<float[]>> earlierDeltas = new LinkedHashMap<>();
        Map<Integer, float[]> codebook = new LinkedHashMap<>();
        Map<Integer, List<double[]>> relationInverses = new LinkedHashMap<>();
        Map<Integer, List<double[]>> relationKeySums = new LinkedHashMap<>();
        for (JsonNode ln : m.path("layers")) {
            int l = ln.path("layer").asInt();
            layerList.add(l);
            alpha.put(l, serving.tensor("alpha." + l).data()[0]);
            if (scope.equals("corpus-z")) {
                mu.put(l, ln.path("scopeMu").asDouble());
                sigma.put(l, ln.path("scopeSigma").asDouble());
            }
            double[] dv = serving.tensor("delta." + l).data();
            float[] fv = new float[dv.length];
            for (int i = 0; i < dv.length; i++) {
                fv[i] = (float) dv[i];
            }
            deltas.put(l, fv);
            if (spanKind(scope)) {
                preserveInverse.put(l, serving.tensor("scope_preserve_inv." + l).data());
            }
            if (span) {
                accuInverse.put(l, serving.tensor("scope_accu_inv." + l).data());
            }
            if (relation) {
                List<double[]> inv = new ArrayList<>();
                List<double[]> sums = new ArrayList<>();
                for (int j = 0; j < relationNames.size(); j++) {
                    inv.add(serving.tensor("scope_rel_inv." + l + "." + j).data());
                    sums.add(serving.tensor("scope_rel_keysum." + l + "." + j).data());
                }
                relationInverses.put(l, inv);
                relationKeySums.put(l, sums);
            }
            if (nearest) {
                nearestWhitening.put(l, floats(serving.tensor("scope_whiten_t." + l).data()));
                nearestKeyColumns.put(l, floats(serving.tensor("scope_keys." + l).data()));
                List<float[]> earlier = new ArrayList<>();
                for (int sh = 0; sh < shardStarts.length; sh++) {
                    earlier.add(floats(serving.tensor("delta." + l + ".shard" + sh).data()));
                }
                earlierDeltas.put(l, earlier);
                if (withCodebook) {
                    codebook.put(l, floats(serving.tensor("codebook." + l).data()));
                }
            }
            if (withEditing) {
                cAccu.put(l, editing.tensor("c_accu." + l).data());
            }
        }
        JsonNode parent = m.path("parentDigest");
        return new HookBundle(m.path("method").asText(), JSON.writeValueAsString(m.path("hyperparameters")),
                m.path("baseModelDigest").asText(), parent.isNull() || parent.isMissingNode() ? null : parent.asText(),
                m.path("statisticsDigest").asText(), m.path("edits").asInt(), m.path("lambda").asDouble(),
                layerList.stream().mapToInt(Integer::intValue).toArray(), ff, d, alpha, scope, mu, sigma, deltas, cAccu,
                preserveInverse, accuInverse, spanKind(scope) || nearest
                        ? m.path("scopeLambda").asDouble(m.path("lambda").asDouble()) : m.path("lambda").asDouble(),
                relation ? new RelationScopes(relationNames, relationEdits, relationInverses, relationKeySums,
                        m.path("relationScopeKeys").asText("mean"), m.path("relationRoutes").asInt(1)) : null,
                m.path("architecture").asText(dev.hookline.engine.model.Architecture.GPT2.modelType()),
                nearest ? new NearestScope(nearestWhitening, nearestKeyColumns, nearestKeys, shardStarts, earlierDeltas,
                        codebook, gated ? subjects(m, dir) : List.of()) : null);
    }

    /** The manifest's scopeSubjects (format /7), required there. */
    private static List<String> subjects(JsonNode m, Path dir) {
        JsonNode s = m.path("scopeSubjects");
        if (!s.isArray() || s.isEmpty()) {
            throw new IllegalArgumentException(dir + ": format " + FORMAT_NEAREST_CODEBOOK_SUBJECT + " needs scopeSubjects");
        }
        List<String> out = new ArrayList<>();
        for (JsonNode x : s) {
            if (!x.isTextual()) {
                throw new IllegalArgumentException(dir + ": scopeSubjects holds a non-text entry");
            }
            out.add(x.asText());
        }
        return out;
    }

    private static float[] floats(double[] v) {
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = (float) v[i];
        }
        return out;
    }

    private static Path verified(Path dir, JsonNode entry, String role) throws IOException {
        if (entry == null) {
            throw new IllegalArgumentException(dir + ": manifest lists no " + role + " file");
        }
        Path file = dir.resolve(entry.path("name").asText());
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(dir + ": " + role + " file " + file.getFileName() + " is missing");
        }
        if (Files.size(file) != entry.path("size").asLong()
                || !Digests.file(file).equals(entry.path("sha256").asText())) {
            throw new IllegalArgumentException(dir + ": " + role + " file " + file.getFileName()
                    + " does not match the manifest's sha256/size (corrupt or tampered)");
        }
        return file;
    }

    @Override
    public String toString() {
        return "HookBundle[method=" + method + ", layers=" + Arrays.toString(layers) + ", edits=" + edits
                + ", alpha=" + alpha + ", scope=" + scope + "]";
    }
}
