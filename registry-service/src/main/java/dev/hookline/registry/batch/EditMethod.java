package dev.hookline.registry.batch;

/** The editing methods a worker knows (DESIGN.md §3): CoachHooK and the baselines. */
public enum EditMethod {
    /** Consecutive batch editing with hook layers (the paper's method). */
    COACHHOOK,
    /** MEMIT: same value step, no accumulation, W changed in place. */
    MEMIT,
    /** CoachHooK's accumulating C_accu without hooks, W changed in place. */
    COACHHOOK_NO_HOOKS,
    /** Constrained fine-tuning of the editing layers. */
    FT_CONSTRAINED
}
