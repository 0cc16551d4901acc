/*
 * The paper's scope test: m_t = ||(W_h - W_0) k_t|| standardised over the sequence's real positions.
 * Reference: CoachHooK (Li et al.), validated hook; DESIGN.md section 3.
 */
package dev.hookline.engine.scope;

import dev.hookline.engine.hook.SequenceZScore;

/** {@link SequenceZScore} on every layer; no state of its own. */
public final class SequenceZScopeStrategy extends ScopeStrategy {
    @Override
    public String bundleName() {
        return "sequence-z";
    }
}
