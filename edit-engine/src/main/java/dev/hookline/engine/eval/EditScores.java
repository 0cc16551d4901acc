/*
 * Editing metrics of a set of edits, as the editing literature reports them.
 * Reference: MEMIT/ROME evaluation (CounterFact efficacy, paraphrase, neighbourhood scores) and
 * the zsRE-style token-level reliability / generality / locality used by CoachHooK and WISE.
 */
package dev.hookline.engine.eval;

/**
 * Means over edit cases (each case weighs the same).
 *
 * @param edits number of edit cases evaluated
 * @param reliability teacher-forced top-1 token accuracy of target_new on the edit prompt
 * @param generality the same on the paraphrase prompts
 * @param locality share of target tokens on neighbourhood and unrelated prompts whose top-1
 *     prediction equals the unedited model's
 * @param efficacy share of cases with P(new) > P(true) on the edit prompt (mean token log-prob)
 * @param paraphrase share of paraphrase prompts with P(new) > P(true)
 * @param neighborhood share of neighbourhood prompts with P(true) > P(new)
 */
public record EditScores(int edits, double reliability, double generality, double locality, double efficacy,
        double paraphrase, double neighborhood) {}
