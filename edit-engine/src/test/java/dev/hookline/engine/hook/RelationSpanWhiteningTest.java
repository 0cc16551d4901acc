/*
 * The span-relation scope computed stably (whitened by the Cholesky factor of lambda_s C0, each
 * relation's inverse in whitened coordinates) against the explicit-inverse form it replaces, on the
 * converged tiny model's real corpus keys: (a) with the model's own C0 the two give the same rho
 * and the same decisions; (b) with a rank-deficient C0 (fewer corpus keys than d_ff: the explicit
 * (lambda_s C0)^-1 is not positive definite, so the old form's q_0 turns negative or non-finite) the
 * whitened form gives finite rho that opens for the edited keys and stays shut for unrelated ones;
 * (c) a scope whose quadratic form breaks fails loudly instead of scoring NaN.
 */
package dev.hookline.engine.hook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.hookline.engine.edit.CoachHookParams;
import dev.hookline.engine.edit.EditFixtures;
import dev.hookline.engine.edit.LayerStatistics;
import dev.hookline.engine.edit.NormalEquations;
import dev.hookline.engine.infer.LanguageModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Tag("slow")
class RelationSpanWhiteningTest {
    private static final double LAMBDA_S = CoachHookParams.SPAN_SCOPE_LAMBDA;
    private static final double ALPHA = CoachHookParams.SPAN_RELATION_ALPHA0;
    private static final int RELATIONS = 3;
    private static final int KEYS_PER_RELATION = 6;
    private static final int PROBES = 300; // unrelated corpus keys, after the edited ones

    @TempDir
    static Path tmp;
    private static int ff;
    private static double[] c0; // (d_ff, d_ff) the model's C0 at the first edited layer
    private static double[] keys; // (S, d_ff) its corpus key sample

    @BeforeAll
    static void statistics() throws Exception {
        int[] layers = CoachHookParams.defaults().layers();
        try (LanguageModel lm = LanguageModel.load(EditFixtures.pretrainedTiny())) {
            LayerStatistics stats = LayerStatistics.loadOrCompute(lm.model(), lm.tokenizer(), EditFixtures.corpus(), 500,
                    layers, tmp.resolve("stats"));
            ff = lm.model().config().mlpSize();
            c0 = stats.c0(layers[0]);
            float[] sample = stats.corpusKeys(layers[0]);
            keys = new double[sample.length];
            for (int i = 0; i < sample.length; i++) {
                keys[i] = sample[i];
            }
        }
        assertTrue(keys.length / ff >= RELATIONS * KEYS_PER_RELATION + PROBES, "corpus sample of " + keys.length / ff
                + " keys");
    }

    /** Rows [from, to) of the key sample as K, (d_ff, to - from). */
    private static double[] columns(int from, int to) {
        int u = to - from;
        double[] k = new double[ff * u];
        for (int j = 0; j < u; j++) {
            for (int a = 0; a < ff; a++) {
                k[a * u + j] = keys[(from + j) * ff + a];
            }
        }
        return k;
    }

    private static double[] sumOfRows(int from, int to) {
        double[] s = new double[ff];
        for (int i = from; i < to; i++) {
            for (int a = 0; a < ff; a++) {
                s[a] += keys[i * ff + a];
            }
        }
        return s;
    }

    /** Relation r holds rows [r * KEYS_PER_RELATION, (r + 1) * KEYS_PER_RELATION). */
    private static RoutingDirections routing() {
        double[][] sums = new double[RELATIONS][];
        int[] counts = new int[RELATIONS];
        for (int r = 0; r < RELATIONS; r++) {
            sums[r] = sumOfRows(r * KEYS_PER_RELATION, (r + 1) * KEYS_PER_RELATION);
            counts[r] = KEYS_PER_RELATION;
        }
        return RoutingDirections.of(sums, counts);
    }

    /** Every edited key, then PROBES unrelated ones: (1, N, d_ff). */
    private static NDArray probes(NDManager nd) {
        int n = RELATIONS * KEYS_PER_RELATION + PROBES;
        return nd.create(Arrays.copyOf(keys, n * ff), new Shape(1, n, ff));
    }

    /** The whitened form as the editor now builds it: W from C0, (I + Z_r Z_r^T)^-1 by Woodbury. */
    private static RelationSpanScope whitened(NDManager nd, double[] c) {
        NDArray w = nd.create(ScopeFactors.whitening(nd, c, ff, LAMBDA_S, "test"), new Shape(ff, ff));
        List<NDArray> inverses = new ArrayList<>();
        for (int r = 0; r < RELATIONS; r++) {
            NDArray inverse = nd.eye(ff, ff, 0, DataType.FLOAT64);
            NDArray z = w.matMul(nd.create(columns(r * KEYS_PER_RELATION, (r + 1) * KEYS_PER_RELATION),
                    new Shape(ff, KEYS_PER_RELATION))); // (d_ff, u_r)
            NormalEquations.updateInverse(inverse, z);
            inverses.add(inverse);
        }
        RoutingDirections routing = routing();
        return RelationSpanScope.whitened(w, names(), inverses, routing.mean(), routing.directions(), 2);
    }

    /** The explicit inverses the editor kept before: (lambda_s C0)^-1 and its Woodbury updates. */
    private static NDArray[] explicitInverses(NDManager nd, double[] c) {
        NDArray p = nd.create(c, new Shape(ff, ff)).mul(LAMBDA_S).inverse(); // (d_ff, d_ff)
        NDArray[] out = new NDArray[RELATIONS + 1];
        out[0] = p;
        for (int r = 0; r < RELATIONS; r++) {
            out[r + 1] = p.duplicate();
            NormalEquations.updateInverse(out[r + 1], nd.create(columns(r * KEYS_PER_RELATION,
                    (r + 1) * KEYS_PER_RELATION), new Shape(ff, KEYS_PER_RELATION)));
        }
        return out;
    }

    private static List<String> names() {
        List<String> names = new ArrayList<>();
        for (int r = 0; r < RELATIONS; r++) {
            names.add("r" + r);
        }
        return names;
    }

    @Test
    void whitenedScopeScoresAsTheExplicitInverseFormOnTheConvergedModel() {
        try (NDManager nd = NDManager.newBaseManager()) {
            NDArray[] explicit = explicitInverses(nd, c0);
            RoutingDirections routing = routing();
            RelationSpanScope before = new RelationSpanScope(explicit[0], names(),
                    Arrays.asList(explicit).subList(1, RELATIONS + 1), routing.mean(), routing.directions(), 2);
            RelationSpanScope after = whitened(nd, c0);
            assertTrue(after.isWhitened());
            NDArray k = probes(nd);
            double[] rhoBefore = before.keyScores(k);
            double[] rhoAfter = after.keyScores(k);
            double worst = 0;
            int flips = 0;
            int open = 0;
            for (int i = 0; i < rhoBefore.length; i++) {
                assertTrue(Double.isFinite(rhoAfter[i]), "position " + i);
                worst = Math.max(worst, Math.abs(rhoBefore[i] - rhoAfter[i]));
                flips += (rhoBefore[i] >= ALPHA) != (rhoAfter[i] >= ALPHA) ? 1 : 0;
                open += rhoAfter[i] >= ALPHA ? 1 : 0;
            }
            System.out.printf("converged C0: whitened vs explicit rho on %d keys: max |diff| %.3g, %d flips at alpha"
                    + " %.2f, %d open%n", rhoBefore.length, worst, flips, ALPHA, open);
            assertTrue(worst < 1e-6, "max |diff| " + worst);
            assertEquals(0, flips);
            for (int i = 0; i < RELATIONS * KEYS_PER_RELATION; i++) {
                assertTrue(rhoAfter[i] >= ALPHA, "edited key " + i + " opens: " + rhoAfter[i]);
            }
            assertTrue(open < RELATIONS * KEYS_PER_RELATION + PROBES / 10, "unrelated keys mostly stay shut: " + open);
        }
    }

    @Test
    void rankDeficientCovarianceGivesFiniteRhoThatOpensForEditedKeysOnly() {
        // C0 of 40 corpus keys (rank <= 40 < d_ff), none of them edited or probed
        int from = RELATIONS * KEYS_PER_RELATION + PROBES;
        int m = 40;
        assertTrue(keys.length / ff >= from + m && m < ff);
        double[] thin = new double[ff * ff];
        for (int i = from; i < from + m; i++) {
            for (int a = 0; a < ff; a++) {
                double ka = keys[i * ff + a];
                for (int b = 0; b < ff; b++) {
                    thin[a * ff + b] += ka * keys[i * ff + b] / m;
                }
            }
        }
        try (NDManager nd = NDManager.newBaseManager()) {
            NDArray k = probes(nd);
            int n = (int) k.getShape().get(1);
            // the explicit form: q_0 = k^T (lambda_s C0)^-1 k, not positive (or not finite) for keys
            NDArray[] explicit = explicitInverses(nd, thin);
            NDArray flat = k.reshape(n, ff).toType(DataType.FLOAT64, false);
            double[] q0 = flat.matMul(explicit[0]).mul(flat).sum(new int[] {1}).toDoubleArray();
            long broken = Arrays.stream(q0).filter(q -> !(q > 1e-30) || !Double.isFinite(q)).count();
            System.out.printf("rank-%d C0: explicit q_0 not positive or not finite at %d of %d keys%n", m, broken, n);
            assertTrue(broken > 0, "the explicit inverse of a rank-deficient C0 is not positive definite");
            RoutingDirections routing = routing();
            assertThrows(IllegalStateException.class, () -> new RelationSpanScope(explicit[0], names(),
                    Arrays.asList(explicit).subList(1, RELATIONS + 1), routing.mean(), routing.directions(), 2)
                    .keyScores(k), "the old form fails loudly now instead of scoring NaN");

            double[] rho = whitened(nd, thin).keyScores(k);
            int openUnrelated = 0;
            for (int i = 0; i < n; i++) {
                assertTrue(Double.isFinite(rho[i]), "position " + i + ": " + rho[i]);
                if (i < RELATIONS * KEYS_PER_RELATION) {
                    assertTrue(rho[i] >= ALPHA, "edited key " + i + " opens: " + rho[i]);
                } else {
                    openUnrelated += rho[i] >= ALPHA ? 1 : 0;
                }
            }
            System.out.printf("rank-%d C0: whitened rho finite at all %d keys, %d of %d unrelated open%n", m, n,
                    openUnrelated, PROBES);
            assertTrue(openUnrelated < PROBES / 10, "unrelated keys mostly stay shut: " + openUnrelated);
        }
    }

    @Test
    void brokenQuadraticFormsFailLoudly() {
        try (NDManager nd = NDManager.newBaseManager()) {
            RoutingDirections routing = routing();
            NDArray negative = nd.eye(ff, ff, 0, DataType.FLOAT64).neg(); // a "(lambda_s C0)^-1" that is not PD
            List<NDArray> inverses = new ArrayList<>();
            for (int r = 0; r < RELATIONS; r++) {
                inverses.add(negative);
            }
            RelationSpanScope scope = new RelationSpanScope(negative, names(), inverses, routing.mean(),
                    routing.directions(), 2);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> scope.keyScores(probes(nd)));
            assertTrue(e.getMessage().contains("not numerically positive definite"), e.getMessage());
            IllegalStateException probe = assertThrows(IllegalStateException.class,
                    () -> scope.requireFinite(nd, new double[][] {sumOfRows(0, 1)}, "layer 1"));
            assertTrue(probe.getMessage().startsWith("layer 1: "), probe.getMessage());
            // a zero key stays NaN (undefined, the hook does not swap) instead of failing
            double[] zero = scope.keyScores(nd.zeros(new Shape(1, 2, ff), DataType.FLOAT32));
            assertTrue(Double.isNaN(zero[0]) && Double.isNaN(zero[1]));
        }
    }
}
