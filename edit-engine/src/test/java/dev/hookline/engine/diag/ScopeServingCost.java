/*
 * Diagnostic (not a test): the span-relation scope's serving cost on a layer of any shape, for
 * shapes no checkpoint here has (GPT2-XL: d 1600, d_ff 6400). Builds a GPT-2 of BLOCKS random
 * blocks of that shape, a span-relation scope of R relations whose differences of inverses have
 * rank RANK each (C0 diagonal, keys random: the arithmetic depends on the shapes alone), and times
 * per forward over T positions: the unhooked forward, the forward with one validated hook on the
 * dense float64 scope, and on the factored float32 scope (issue 29). Prints per-block time and the
 * hooked / unhooked ratio for a model of FULL_LAYERS such blocks with one hooked layer:
 * 1 + (hooked - unhooked) / (unhooked * FULL_LAYERS / BLOCKS) (embedding and head left out: an
 * upper bound on the ratio). With a tenth argument E > 0 it also times coachhook-nearest's scope
 * (NearestKeyScope: a random float32 W^T and E edited keys; two keys per edit, so 1000 edits are
 * E = 2000). With an eleventh argument S > 1 it also times alphaedit-shards' hook: the same keys in S
 * shards, S deltas, at the nearest threshold 0.3 (random keys: no position swaps, the routing's argmax is
 * the extra) and at threshold 0 (every position swaps and takes its shard's delta: up to S products).
 * With E > 0 it also times codebook-nearest's hook: the same scope with a codebook of E rows, at 0.3 (no position
 * takes a row) and at 0 (every position takes its nearest key's row), and codebook-subject's: the same codebook
 * gated by E / 2 subjects (two keys each), with no subject in the text (no position is scored: the gate's scan of the
 * token ids is the cost) and with one subject mentioned at the first token (every position scored against its two
 * keys, at 0: every position takes a row).
 * Interleaves the variants, REPS rounds.
 * Run: java -cp <test classpath> dev.hookline.engine.diag.ScopeServingCost D D_FF HEADS BLOCKS FULL_LAYERS R RANK T REPS [E [S]]
 * e.g. 1600 6400 25 2 48 7 300 16 20 (GPT2-XL-shaped), 1600 6400 25 2 48 7 286 1 20 2000.
 */
package dev.hookline.engine.diag;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.hookline.engine.hook.HookLayer;
import dev.hookline.engine.hook.NearestKeyScope;
import dev.hookline.engine.hook.RelationSpanScope;
import dev.hookline.engine.hook.RoutingDirections;
import dev.hookline.engine.model.ForwardOptions;
import dev.hookline.engine.model.MlpProjectionHook;
import dev.hookline.engine.model.TokenBatch;
import dev.hookline.engine.model.gpt2.Gpt2Config;
import dev.hookline.engine.model.gpt2.Gpt2Model;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

public final class ScopeServingCost {

    private ScopeServingCost() {}

    public static void main(String[] args) throws Exception {
        int d = Integer.parseInt(args[0]);
        int ff = Integer.parseInt(args[1]);
        int heads = Integer.parseInt(args[2]);
        int blocks = Integer.parseInt(args[3]);
        int fullLayers = Integer.parseInt(args[4]);
        int relations = Integer.parseInt(args[5]);
        int rank = Integer.parseInt(args[6]);
        int positions = Integer.parseInt(args[7]);
        int reps = Integer.parseInt(args[8]);
        int nearestKeys = args.length > 9 ? Integer.parseInt(args[9]) : 0;
        int shardCount = args.length > 10 ? Integer.parseInt(args[10]) : 1;
        Gpt2Config config = new Gpt2Config(1000, Math.max(64, positions), d, blocks, heads, ff, "gelu_new", 1e-5, true, 0, 0);
        Random random = new Random(1);
        try (Gpt2Model model = Gpt2Model.create(config, (name, shape) -> {
            long n = 1;
            for (long s : shape) {
                n *= s;
            }
            ByteBuffer out = ByteBuffer.allocateDirect((int) (4 * n)).order(ByteOrder.nativeOrder());
            boolean gain = name.matches(".*ln_(1|2|f)\\.weight");
            double scale = name.contains("wte") || name.contains("wpe") ? 0.5 : 1.0 / Math.sqrt(shape[0]);
            for (long i = 0; i < n; i++) {
                out.putFloat((float) (gain ? 1 : name.endsWith(".bias") ? 0 : scale * random.nextGaussian()));
            }
            out.flip();
            return out;
        }, ai.djl.engine.Engine.getInstance().defaultDevice(), DataType.FLOAT32);
                NDManager hooks = model.manager().newSubManager()) {
            // Scope state: C = diag(c) > 0, P = C^-1, per relation A_r = (C + K_r K_r^T)^-1 by Woodbury.
            double[] c = new double[ff];
            for (int a = 0; a < ff; a++) {
                c[a] = 0.1 + random.nextDouble();
            }
            double[] preserve = new double[ff * ff];
            for (int a = 0; a < ff; a++) {
                preserve[a * ff + a] = 1 / c[a];
            }
            NDArray p = hooks.create(preserve, new Shape(ff, ff)); // (d_ff, d_ff) float64
            List<String> names = new ArrayList<>();
            List<NDArray> dense = new ArrayList<>();
            List<double[]> values = new ArrayList<>();
            double[][] sums = new double[relations][ff];
            int[] counts = new int[relations];
            for (int r = 0; r < relations; r++) {
                names.add("r" + r);
                counts[r] = rank;
                double[] kv = new double[ff * rank];
                for (int i = 0; i < kv.length; i++) {
                    kv[i] = random.nextGaussian();
                    sums[r][i / rank] += kv[i];
                }
                try (NDManager work = hooks.newSubManager()) {
                    NDArray k = work.create(kv, new Shape(ff, rank)); // (d_ff, r)
                    NDArray pk = p.matMul(k); // (d_ff, r)
                    NDArray s = k.transpose().matMul(pk).add(work.eye(rank, rank, 0, DataType.FLOAT64)); // (r, r)
                    NDArray a = p.sub(pk.matMul(s.inverse()).matMul(pk.transpose())); // (d_ff, d_ff)
                    values.add(a.toDoubleArray());
                }
                if (r < 3) { // the dense form scores 1 + routes forms per position whatever R is; 3 bound its memory
                    dense.add(hooks.create(values.get(r), new Shape(ff, ff)));
                }
            }
            RoutingDirections routing = RoutingDirections.of(sums, counts);
            int denseR = dense.size();
            RelationSpanScope denseScope = new RelationSpanScope(p, names.subList(0, denseR), dense, routing.mean(),
                    Arrays.copyOf(routing.directions(), denseR), 2);
            long t0 = System.nanoTime();
            RelationSpanScope factored = RelationSpanScope.factored(hooks, ff, preserve, names, values, counts, routing.mean(),
                    routing.directions(), 2);
            double factorSeconds = (System.nanoTime() - t0) / 1e9;
            values.clear();
            NDArray delta = hooks.randomNormal(0, 1e-3f, new Shape(ff, d), DataType.FLOAT32); // (d_ff, d)
            Map<Integer, MlpProjectionHook> withDense = Map.of(blocks - 1,
                    new HookLayer(blocks - 1, delta, 0.65, denseScope, HookLayer.Mode.VALIDATED, null));
            Map<Integer, MlpProjectionHook> withFactored = Map.of(blocks - 1,
                    new HookLayer(blocks - 1, delta, 0.65, factored, HookLayer.Mode.VALIDATED, null));
            int[] ids = new int[positions];
            for (int t = 0; t < positions; t++) {
                ids[t] = 1 + random.nextInt(999);
            }
            TokenBatch batch = TokenBatch.single(ids, 0);
            List<ForwardOptions> variants = new ArrayList<>(List.of(ForwardOptions.builder().computeLogits(false).build(),
                    ForwardOptions.builder().hooks(withDense).computeLogits(false).build(),
                    ForwardOptions.builder().hooks(withFactored).computeLogits(false).build()));
            if (nearestKeys > 0) { // W^T and the edited keys: random, scaled like whitened keys
                NDArray whiteningT = hooks.randomNormal(0, (float) (1 / Math.sqrt(ff)), new Shape(ff, ff), DataType.FLOAT32);
                NDArray keys = hooks.randomNormal(0, (float) (1 / Math.sqrt(ff)), new Shape(ff, nearestKeys), DataType.FLOAT32);
                NearestKeyScope nearest = new NearestKeyScope(whiteningT, keys);
                variants.add(ForwardOptions.builder().hooks(Map.of(blocks - 1,
                        new HookLayer(blocks - 1, delta, 0.3, nearest, HookLayer.Mode.VALIDATED, null))).computeLogits(false).build());
                // codebook-nearest: one row per edited key, at 0.3 (random keys: no position takes a row, the routing's
                // argmax is the extra) and at 0 (every position takes its nearest key's row)
                NDArray codebook = hooks.randomNormal(0, 0.02f, new Shape(nearestKeys + 1, d), DataType.FLOAT32);
                for (double threshold : new double[] {0.3, 0}) {
                    variants.add(ForwardOptions.builder().hooks(Map.of(blocks - 1, new HookLayer(blocks - 1, delta,
                            threshold, nearest, HookLayer.Mode.VALIDATED, null, List.of(), codebook)))
                            .computeLogits(false).build());
                }
                if (shardCount > 1) {
                    long[] starts = new long[shardCount - 1];
                    List<NDArray> earlier = new ArrayList<>();
                    for (int sh = 1; sh < shardCount; sh++) {
                        starts[sh - 1] = (long) nearestKeys * sh / shardCount;
                        earlier.add(hooks.randomNormal(0, 0.02f, delta.getShape(), delta.getDataType()));
                    }
                    NearestKeyScope sharded = new NearestKeyScope(whiteningT, keys, starts);
                    for (double threshold : new double[] {0.3, 0}) {
                        variants.add(ForwardOptions.builder().hooks(Map.of(blocks - 1, new HookLayer(blocks - 1, delta,
                                threshold, sharded, HookLayer.Mode.VALIDATED, null, earlier))).computeLogits(false).build());
                    }
                }
            }
            int subjectVariants = variants.size();
            if (nearestKeys > 0) {
                NDArray whiteningT = hooks.randomNormal(0, (float) (1 / Math.sqrt(ff)), new Shape(ff, ff), DataType.FLOAT32);
                NDArray keys = hooks.randomNormal(0, (float) (1 / Math.sqrt(ff)), new Shape(ff, nearestKeys), DataType.FLOAT32);
                NDArray codebook = hooks.randomNormal(0, 0.02f, new Shape(nearestKeys + 1, d), DataType.FLOAT32);
                List<String> subjects = new ArrayList<>();
                for (int col = 0; col < nearestKeys; col++) {
                    subjects.add("s" + col / 2);
                }
                // spellings that never occur (negative ids), and one where subject 0 is the text's first token
                java.util.function.Function<String, int[][]> none = x -> new int[][] {{-1 - Integer.parseInt(x.substring(1))}};
                java.util.function.Function<String, int[][]> first = x -> x.equals("s0") ? new int[][] {{ids[0]}}
                        : none.apply(x);
                for (java.util.function.Function<String, int[][]> spell : List.of(none, first)) {
                    NearestKeyScope gated = new NearestKeyScope(whiteningT, keys, new long[0],
                            new dev.hookline.engine.hook.SubjectGate(subjects, spell));
                    variants.add(ForwardOptions.builder().hooks(Map.of(blocks - 1, new HookLayer(blocks - 1, delta,
                            0, gated, HookLayer.Mode.VALIDATED, null, List.of(), codebook))).computeLogits(false).build());
                }
            }
            int nv = variants.size();
            long[][] nanos = new long[nv][reps];
            for (int rep = -2; rep < reps; rep++) { // two warm-up rounds
                for (int v0 = 0; v0 < nv; v0++) {
                    int v = (v0 + Math.max(rep, 0)) % nv; // rotate which variant goes first
                    long s = System.nanoTime();
                    try (NDManager scope = NDManager.newBaseManager(model.device())) {
                        model.forward(scope, batch, variants.get(v));
                    }
                    if (rep >= 0) {
                        nanos[v][rep] = System.nanoTime() - s;
                    }
                }
            }
            double[] median = new double[nv];
            for (int v = 0; v < nv; v++) {
                long[] sorted = nanos[v].clone();
                Arrays.sort(sorted);
                median[v] = sorted[reps / 2] / 1e6;
            }
            double perBlock = median[0] / blocks;
            System.out.printf(Locale.ROOT, "shape d %d, d_ff %d, %d blocks (ratio for %d), R %d x rank %d, T %d, %d reps;"
                    + " factoring %.2f s, factor width %d%n", d, ff, blocks, fullLayers, relations, rank, positions, reps,
                    factorSeconds, ff + Arrays.stream(factored.factorRanks()).sum());
            System.out.printf(Locale.ROOT, "forward median ms: unhooked %.2f (%.2f per block), dense scope %.2f,"
                    + " factored scope %.2f%n", median[0], perBlock, median[1], median[2]);
            System.out.printf(Locale.ROOT, "hook cost ms: dense %.2f, factored %.2f; ratio with %d layers: dense %.3f,"
                    + " factored %.3f%n", median[1] - median[0], median[2] - median[0], fullLayers,
                    1 + (median[1] - median[0]) / (perBlock * fullLayers), 1 + (median[2] - median[0]) / (perBlock * fullLayers));
            if (nearestKeys > 0) {
                System.out.printf(Locale.ROOT, "nearest scope, %d edited keys: forward median %.2f ms, hook cost %.2f ms;"
                        + " ratio with %d layers %.3f%n", nearestKeys, median[3], median[3] - median[0], fullLayers,
                        1 + (median[3] - median[0]) / (perBlock * fullLayers));
            }
            if (nearestKeys > 0) {
                System.out.printf(Locale.ROOT, "codebook, %d rows: threshold 0.3 forward median %.2f ms, hook cost %.2f"
                        + " ms, ratio %.3f; threshold 0 (every position takes a row) %.2f ms, hook cost %.2f ms, ratio %.3f%n",
                        nearestKeys, median[4], median[4] - median[0], 1 + (median[4] - median[0]) / (perBlock * fullLayers),
                        median[5], median[5] - median[0], 1 + (median[5] - median[0]) / (perBlock * fullLayers));
            }
            if (nearestKeys > 0) {
                int sv = subjectVariants;
                System.out.printf(Locale.ROOT, "codebook-subject, %d rows, %d subjects: no subject in the text %.2f ms, hook"
                        + " cost %.2f ms, ratio %.3f; a subject at the first token (every position takes a row) %.2f ms,"
                        + " hook cost %.2f ms, ratio %.3f%n", nearestKeys, nearestKeys / 2, median[sv], median[sv] - median[0],
                        1 + (median[sv] - median[0]) / (perBlock * fullLayers), median[sv + 1], median[sv + 1] - median[0],
                        1 + (median[sv + 1] - median[0]) / (perBlock * fullLayers));
            }
            if (nearestKeys > 0 && shardCount > 1) {
                System.out.printf(Locale.ROOT, "shards scope, %d shards: threshold 0.3 forward median %.2f ms, hook cost %.2f"
                        + " ms, ratio %.3f; threshold 0 (every position swaps) %.2f ms, hook cost %.2f ms, ratio %.3f%n",
                        shardCount, median[6], median[6] - median[0], 1 + (median[6] - median[0]) / (perBlock * fullLayers),
                        median[7], median[7] - median[0], 1 + (median[7] - median[0]) / (perBlock * fullLayers));
            }
        }
    }
}
