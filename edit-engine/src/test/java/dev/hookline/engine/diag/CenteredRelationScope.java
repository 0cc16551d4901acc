/*
 * Diagnostic scope (not a product class): the per-relation span test on keys centred at their
 * relation's mean edit key. rho_r(k) = 1 - (x^T A_r^-1 x) / (x^T (lambda_s C0)^-1 x), x = k - mu_r,
 * A_r = lambda_s C0 + sum_i (k_i - mu_r)(k_i - mu_r)^T over relation r's edit keys; routing as
 * RelationSpanScope. The idea: a relation's edited keys share its template's direction mu_r,
 * which every same-relation prompt about an unedited subject shares too; centring leaves the
 * subject's part.
 */
package dev.hookline.engine.diag;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.hookline.engine.hook.KeyScope;
import dev.hookline.engine.hook.RelationSpanScope;
import java.util.List;

final class CenteredRelationScope implements KeyScope {
    private final NDArray preserveInverse; // (d_ff, d_ff) f64
    private final List<NDArray> centredInverses; // R x (d_ff, d_ff) f64
    private final double[][] means; // (R, d_ff)
    private final RelationSpanScope router;

    CenteredRelationScope(NDArray preserveInverse, List<NDArray> centredInverses, double[][] means, RelationSpanScope router) {
        this.preserveInverse = preserveInverse;
        this.centredInverses = centredInverses;
        this.means = means;
        this.router = router;
    }

    @Override
    public double[] keyScores(NDArray keys) {
        int ff = means[0].length;
        int n = (int) (keys.getShape().get(0) * keys.getShape().get(1));
        int[] route = router.routes(keys);
        try (NDManager work = keys.getManager().newSubManager()) {
            double[] flat = keys.toType(DataType.FLOAT64, false).toDoubleArray();
            double[] rho = new double[n];
            for (int r = 0; r < means.length; r++) {
                int c = 0;
                for (int i = 0; i < n; i++) {
                    c += route[i] == r ? 1 : 0;
                }
                if (c == 0) {
                    continue;
                }
                int[] at = new int[c];
                double[] rows = new double[c * ff];
                int j = 0;
                for (int i = 0; i < n; i++) {
                    if (route[i] == r) {
                        boolean zero = true;
                        for (int a = 0; a < ff; a++) {
                            zero &= flat[i * ff + a] == 0;
                            rows[j * ff + a] = flat[i * ff + a] - means[r][a];
                        }
                        at[j++] = zero ? -1 - i : i;
                    }
                }
                NDArray x = work.create(rows, new Shape(c, ff));
                double[] pres = x.matMul(preserveInverse).mul(x).sum(new int[] {1}).toDoubleArray();
                double[] rem = x.matMul(centredInverses.get(r)).mul(x).sum(new int[] {1}).toDoubleArray();
                for (int q = 0; q < c; q++) {
                    if (at[q] < 0) {
                        rho[-1 - at[q]] = Double.NaN;
                    } else {
                        rho[at[q]] = pres[q] > 1e-30 ? 1 - rem[q] / pres[q] : Double.NaN;
                    }
                }
            }
            return rho;
        }
    }

    @Override
    public String name() {
        return "span-relation-centred";
    }
}
