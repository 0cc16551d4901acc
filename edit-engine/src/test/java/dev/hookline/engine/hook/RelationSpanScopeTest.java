/*
 * The per-relation span scope against a plain-Java float64 oracle: routing by centred direction,
 * each position scored against its own relation's span, one relation equal to the one-span scope,
 * and the hook swapping where the routed rho reaches alpha.
 */
package dev.hookline.engine.hook;

import static dev.hookline.engine.hook.SpanScopeTest.gaussian;
import static dev.hookline.engine.hook.SpanScopeTest.plusOuter;
import static dev.hookline.engine.hook.SpanScopeTest.preserve;
import static dev.hookline.engine.hook.SpanScopeTest.quadInverse;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RelationSpanScopeTest {
    private static final int FF = 6;

    /** k = centre + 0.2 noise, as float32 values (what the hook sees). */
    private static double[] near(Random r, double[] centre) {
        double[] k = new double[FF];
        for (int a = 0; a < FF; a++) {
            k[a] = (float) (centre[a] + 0.2 * r.nextGaussian());
        }
        return k;
    }

    private static double[] sum(double[]... keys) {
        double[] s = new double[FF];
        for (double[] k : keys) {
            for (int a = 0; a < FF; a++) {
                s[a] += k[a];
            }
        }
        return s;
    }

    private static double[] scaled(double[] v, double f) {
        double[] out = v.clone();
        for (int a = 0; a < out.length; a++) {
            out[a] *= f;
        }
        return out;
    }

    @Test
    void routingDirectionsAreCentredUnitMeans() {
        RoutingDirections two = RoutingDirections.of(new double[][] {{2, 0}, {0, 4}}, new int[] {1, 2});
        // mean of the three keys (2,0), and two summing to (0,4): (2/3, 4/3)
        assertArrayEquals(new double[] {2.0 / 3, 4.0 / 3}, two.mean(), 1e-12);
        double h = Math.sqrt(0.5);
        assertArrayEquals(new double[] {h, -h}, two.directions()[0], 1e-12);
        assertArrayEquals(new double[] {-h, h}, two.directions()[1], 1e-12);
        RoutingDirections one = RoutingDirections.of(new double[][] {{3, 1}}, new int[] {2});
        assertArrayEquals(new double[] {0, 0}, one.directions()[0], 0.0, "one relation: nothing to route by");
        assertThrows(IllegalArgumentException.class, () -> RoutingDirections.of(new double[][] {{1, 1}}, new int[] {0}));
        assertThrows(IllegalArgumentException.class, () -> RoutingDirections.of(new double[0][], new int[0]));
    }

    @Test
    void everyPositionIsScoredAgainstTheSpanOfTheRelationItRoutesTo() {
        Random r = new Random(17);
        double[] c = preserve(r, 3);
        double[] centreA = scaled(gaussian(r, FF), 3);
        double[] centreB = scaled(gaussian(r, FF), 3);
        double[][] editedA = {near(r, centreA), near(r, centreA), near(r, centreA)};
        double[][] editedB = {near(r, centreB), near(r, centreB)};
        double[] accuA = plusOuter(c, editedA);
        double[] accuB = plusOuter(c, editedB);
        RoutingDirections routing = RoutingDirections.of(new double[][] {sum(editedA), sum(editedB)}, new int[] {3, 2});
        // Probes: the edited keys, fresh keys of each relation, a key of neither, a zero key.
        double[][] probes = {editedA[0], editedB[1], near(r, centreA), near(r, centreB), gaussian(r, FF), new double[FF]};
        int[] expectedRoute = {0, 1, 0, 1, -1, -1};
        float[] keys = new float[probes.length * FF];
        for (int t = 0; t < probes.length; t++) {
            for (int a = 0; a < FF; a++) {
                keys[t * FF + a] = (float) probes[t][a];
                probes[t][a] = keys[t * FF + a];
            }
        }
        try (NDManager nd = NDManager.newBaseManager()) {
            RelationSpanScope scope = new RelationSpanScope(nd.create(c, new Shape(FF, FF)).inverse(), List.of("A", "B"),
                    List.of(nd.create(accuA, new Shape(FF, FF)).inverse(), nd.create(accuB, new Shape(FF, FF)).inverse()),
                    routing.mean(), routing.directions());
            // Rows of 3 positions: the layout (B, T) row-major must not matter.
            NDArray keyArr = nd.create(keys, new Shape(2, 3, FF));
            double[] rho = scope.keyScores(keyArr);
            int[] routes = scope.routes(keyArr);
            for (int t = 0; t < probes.length; t++) {
                // Oracle route: argmax over relations of <k - mu, direction>, in plain Java.
                double best = Double.NEGATIVE_INFINITY;
                int route = -1;
                for (int j = 0; j < 2; j++) {
                    double dot = 0;
                    for (int a = 0; a < FF; a++) {
                        dot += (probes[t][a] - routing.mean()[a]) * routing.directions()[j][a];
                    }
                    if (dot > best) {
                        best = dot;
                        route = j;
                    }
                }
                assertEquals(route, routes[t], "route of position " + t);
                assertEquals(route, scope.route(probes[t]));
                if (expectedRoute[t] >= 0) {
                    assertEquals(expectedRoute[t], route, "a key near relation " + expectedRoute[t] + " routes to it");
                }
                if (t == probes.length - 1) {
                    assertTrue(Double.isNaN(rho[t]), "zero key: undefined");
                    continue;
                }
                double expected = 1 - quadInverse(route == 0 ? accuA : accuB, probes[t]) / quadInverse(c, probes[t]);
                assertEquals(expected, rho[t], 1e-9, "position " + t);
            }
            // An edited key of A scores high against A's span; against B's it would not.
            assertTrue(rho[0] > 0.5, "edited key of A in A's span: " + rho[0]);
            double againstB = 1 - quadInverse(accuB, probes[0]) / quadInverse(c, probes[0]);
            assertTrue(againstB < rho[0], "A's key is not in B's span: " + againstB + " vs " + rho[0]);
            // Causal: a prefix scores the same alone as inside a longer row.
            double[] prefix = scope.keyScores(nd.create(java.util.Arrays.copyOf(keys, 2 * FF), new Shape(1, 2, FF)));
            assertEquals(rho[0], prefix[0], 1e-12);
            assertEquals(rho[1], prefix[1], 1e-12);
        }
    }

    @Test
    void twoRoutesKeepTheLargerRhoOfTheTwoNearestRelations() {
        Random r = new Random(31);
        double[] c = preserve(r, 3);
        int relations = 3;
        double[][] accu = new double[relations][];
        double[][] sums = new double[relations][];
        int[] counts = new int[relations];
        double[][] centres = new double[relations][];
        for (int j = 0; j < relations; j++) {
            centres[j] = scaled(gaussian(r, FF), 3);
            double[][] edited = {near(r, centres[j]), near(r, centres[j])};
            accu[j] = plusOuter(c, edited);
            sums[j] = sum(edited);
            counts[j] = 2;
        }
        RoutingDirections centred = RoutingDirections.of(sums, counts);
        // Directions shifted by one relation, so a key near relation j's edits routes first to another
        // relation and its own span is reached only as a second route.
        double[][] shifted = new double[relations][];
        for (int j = 0; j < relations; j++) {
            shifted[j] = centred.directions()[(j + 1) % relations];
        }
        RoutingDirections routing = new RoutingDirections(centred.mean(), shifted);
        int n = 12;
        float[] keys = new float[n * FF];
        double[][] probes = new double[n][FF];
        for (int t = 0; t < n; t++) {
            double[] k = near(r, scaled(sums[t % relations], 0.5)); // near relation (t mod 3)'s edited keys
            for (int a = 0; a < FF; a++) {
                keys[t * FF + a] = (float) k[a];
                probes[t][a] = keys[t * FF + a];
            }
        }
        try (NDManager nd = NDManager.newBaseManager()) {
            List<NDArray> inverses = new java.util.ArrayList<>();
            for (double[] m : accu) {
                inverses.add(nd.create(m, new Shape(FF, FF)).inverse());
            }
            NDArray p = nd.create(c, new Shape(FF, FF)).inverse();
            List<String> names = List.of("A", "B", "C");
            RelationSpanScope one = new RelationSpanScope(p, names, inverses, routing.mean(), routing.directions());
            RelationSpanScope two = new RelationSpanScope(p, names, inverses, routing.mean(), routing.directions(), 2);
            assertEquals(1, one.routeCount());
            assertEquals(2, two.routeCount());
            NDArray k = nd.create(keys, new Shape(3, 4, FF));
            double[] rho1 = one.keyScores(k);
            double[] rho2 = two.keyScores(k);
            int secondWins = 0;
            for (int t = 0; t < n; t++) {
                // Oracle: the two largest <k - mu, direction> in plain Java, rho under each, the larger.
                double[] dot = new double[relations];
                for (int j = 0; j < relations; j++) {
                    for (int a = 0; a < FF; a++) {
                        dot[j] += (probes[t][a] - routing.mean()[a]) * routing.directions()[j][a];
                    }
                }
                int first = 0;
                for (int j = 1; j < relations; j++) {
                    first = dot[j] > dot[first] ? j : first;
                }
                int second = first == 0 ? 1 : 0;
                for (int j = 0; j < relations; j++) {
                    second = j != first && dot[j] > dot[second] ? j : second;
                }
                double q = quadInverse(c, probes[t]);
                double underFirst = 1 - quadInverse(accu[first], probes[t]) / q;
                double underSecond = 1 - quadInverse(accu[second], probes[t]) / q;
                assertEquals(first, two.route(probes[t]), "route() stays the nearest relation");
                assertEquals(underFirst, rho1[t], 1e-9, "one route, position " + t);
                assertEquals(Math.max(underFirst, underSecond), rho2[t], 1e-9, "two routes, position " + t);
                secondWins += underSecond > underFirst ? 1 : 0;
            }
            assertTrue(secondWins > 0, "the probes must exercise a second route that scores higher");
            assertThrows(IllegalArgumentException.class, () -> new RelationSpanScope(p, names, inverses, routing.mean(),
                    routing.directions(), 3));
            // With one relation there is no second route: two routes score as one.
            RoutingDirections single = RoutingDirections.of(new double[][] {sums[0]}, new int[] {2});
            assertArrayEquals(new RelationSpanScope(p, List.of("A"), List.of(inverses.get(0)), single.mean(),
                    single.directions()).keyScores(k), new RelationSpanScope(p, List.of("A"), List.of(inverses.get(0)),
                    single.mean(), single.directions(), 2).keyScores(k), 0.0);
        }
    }

    @Test
    void oneRelationScoresLikeTheOneSpanScope() {
        Random r = new Random(23);
        double[] c = preserve(r, 2);
        double[][] edited = {gaussian(r, FF), gaussian(r, FF)};
        double[] accu = plusOuter(c, edited);
        float[] keys = new float[5 * FF];
        for (int i = 0; i < keys.length; i++) {
            keys[i] = (float) r.nextGaussian();
        }
        try (NDManager nd = NDManager.newBaseManager()) {
            NDArray p = nd.create(c, new Shape(FF, FF)).inverse();
            NDArray a = nd.create(accu, new Shape(FF, FF)).inverse();
            RoutingDirections routing = RoutingDirections.of(new double[][] {sum(edited)}, new int[] {2});
            RelationSpanScope one = new RelationSpanScope(p, List.of("only"), List.of(a), routing.mean(),
                    routing.directions());
            NDArray k = nd.create(keys, new Shape(1, 5, FF));
            assertArrayEquals(new SpanScope(p, a).keyScores(k), one.keyScores(k), 1e-12);
        }
    }

    @Test
    void malformedScopesAreRefused() {
        try (NDManager nd = NDManager.newBaseManager()) {
            NDArray p = nd.eye(FF).toType(DataType.FLOAT64, false);
            double[] mean = new double[FF];
            assertThrows(IllegalArgumentException.class, () -> new RelationSpanScope(p, List.of(), List.of(), mean,
                    new double[0][]));
            assertThrows(IllegalArgumentException.class, () -> new RelationSpanScope(p, List.of("a", "a"),
                    List.of(p, p), mean, new double[2][FF]));
            assertThrows(IllegalArgumentException.class, () -> new RelationSpanScope(p, List.of("a"),
                    List.of(nd.eye(FF)), mean, new double[1][FF]), "float32 inverse");
            assertThrows(IllegalArgumentException.class, () -> new RelationSpanScope(p, List.of("a"), List.of(p),
                    new double[FF + 1], new double[1][FF]));
        }
    }
}
