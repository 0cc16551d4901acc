/*
 * Hyperparameters of alphaedit-shards (this project's method, not a paper's): alphaedit-nearest whose
 * edits fill shards of at most shardEdits edits, one hook delta each, served by the shard of a
 * position's nearest edited key. alphaedit-nearest (one delta for every edit) stays as it is.
 * Reference: docs/BENCHMARKS.md, twentieth session (one delta's capacity at 10,000 edits) and
 * twenty-first session (the shard size on the dev stream); the idea of routing edits to side
 * memories by the input is WISE's (Wang et al., NeurIPS 2024), the routing here the nearest edited key.
 */
package dev.hookline.engine.edit;

/**
 * @param nearest alphaedit-nearest's record (AlphaEdit's update, the nearest scope's threshold and lambda_s)
 * @param shardEdits the most edits one shard holds, at least 1; a batch larger than this fills a shard alone
 */
public record AlphaEditShardsParams(AlphaEditNearestParams nearest, int shardEdits) {
    public AlphaEditShardsParams {
        if (nearest == null) {
            throw new IllegalArgumentException("alphaedit-nearest's record is required");
        }
        if (shardEdits < 1) {
            throw new IllegalArgumentException("edits per shard must be at least 1, got " + shardEdits);
        }
    }

    /**
     * The default shard size: on the large world's dev stream (model seed 1, batch 100, no labels, layer 2)
     * one delta kept 0.990 / 0.902 / 0.934 after 1,000 edits and fell to 0.852 / 0.728 / 0.880 after
     * 2,000 (docs/BENCHMARKS.md, twentieth session); 1,000 is the largest size measured there that kept
     * reliability above 0.97.
     */
    public static final int DEFAULT_SHARD_EDITS = 1000;

    /**
     * The default threshold of alphaedit-shards on the nearest edited key's score (alphaedit-nearest and
     * coachhook-nearest keep {@link CoachHookParams#NEAREST_ALPHA0}, 0.3, their own dev choice at 500 edits).
     * Chosen on the large world's dev stream (world seed 20261206, model seed 1, 10,000 edits, batch 100,
     * no labels, one H100) among 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6 and 0.7, by the best mean of
     * reliability, generality and locality averaged over the curve points at 1,000, 2,000, ... 10,000
     * edits (500 sampled edits each): 0.876, 0.897, 0.912, <b>0.921</b>, 0.920, 0.918, 0.911, 0.889. The
     * sweep served one run's state (edited at 0.3) at each threshold after the fact
     * ({@code hookline bench --sweep-thresholds}); docs/BENCHMARKS.md, twenty-second session.
     */
    public static final double DEFAULT_ALPHA0 = 0.45;

    /** {@code nearest} with {@link #DEFAULT_SHARD_EDITS} (its threshold as it is). */
    public static AlphaEditShardsParams of(AlphaEditNearestParams nearest) {
        return new AlphaEditShardsParams(nearest, DEFAULT_SHARD_EDITS);
    }

    /** {@code nearest}'s update and lambda_s at {@link #DEFAULT_ALPHA0} with {@link #DEFAULT_SHARD_EDITS}. */
    public static AlphaEditShardsParams tuned(AlphaEditNearestParams nearest) {
        return new AlphaEditShardsParams(nearest.withAlpha0(DEFAULT_ALPHA0), DEFAULT_SHARD_EDITS);
    }
}
