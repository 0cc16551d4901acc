/*
 * Routing of the per-relation span scope: where each relation's edited keys lie relative to all of
 * them. See RelationSpanScope.
 */
package dev.hookline.engine.hook;

/**
 * @param mean mean of every edited key, mu (d_ff)
 * @param directions per relation the unit direction of (its mean edited key - mu), zero where that
 *     difference vanishes (one relation), (R, d_ff)
 */
public record RoutingDirections(double[] mean, double[][] directions) {

    /**
     * From per-relation key sums and edit counts.
     *
     * @param sums per relation the sum of its edited keys (R, d_ff)
     * @param counts per relation its number of edited keys, each >= 1
     */
    public static RoutingDirections of(double[][] sums, int[] counts) {
        if (sums.length == 0 || sums.length != counts.length) {
            throw new IllegalArgumentException("routing needs one key sum and one count per relation, got "
                    + sums.length + " and " + counts.length);
        }
        int ff = sums[0].length;
        long total = 0;
        for (int c : counts) {
            if (c < 1) {
                throw new IllegalArgumentException("every relation needs at least one edited key, got count " + c);
            }
            total += c;
        }
        double[] mean = new double[ff];
        for (double[] s : sums) {
            if (s.length != ff) {
                throw new IllegalArgumentException("key sums of different widths: " + s.length + " and " + ff);
            }
            for (int a = 0; a < ff; a++) {
                mean[a] += s[a] / total;
            }
        }
        double[][] directions = new double[sums.length][ff];
        for (int r = 0; r < sums.length; r++) {
            double norm = 0;
            for (int a = 0; a < ff; a++) {
                directions[r][a] = sums[r][a] / counts[r] - mean[a];
                norm += directions[r][a] * directions[r][a];
            }
            norm = Math.sqrt(norm);
            for (int a = 0; a < ff; a++) {
                directions[r][a] = norm > 1e-150 ? directions[r][a] / norm : 0;
            }
        }
        return new RoutingDirections(mean, directions);
    }
}
