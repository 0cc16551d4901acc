/*
 * One edited fact of a hook version's lineage, as the registry recorded it in the batch that
 * produced the version (docs/API.md "Edit batch").
 */
package dev.hookline.serving.model;

/**
 * @param subject the fact's subject, e.g. "Danielle Darrieux"
 * @param prompt the prompt template with {@code {}} where the subject goes
 * @param targetNew the new answer the edit wrote
 * @param targetTrue the answer before the edit (may be null)
 * @param versionId the version whose batch made the edit
 * @param versionNumber that version's number
 * @param batchId the registry batch
 */
public record EditedFact(String subject, String prompt, String targetNew, String targetTrue, long versionId,
        int versionNumber, long batchId) {

    public EditedFact {
        if (subject == null || subject.isBlank()) {
            throw new IllegalArgumentException("an edited fact needs a subject");
        }
    }

    /** The edit prompt with the subject filled in. */
    public String filledPrompt() {
        return prompt == null ? subject : prompt.replace("{}", subject);
    }

    /**
     * Whether the subject occurs in {@code text} as a whole phrase (not inside a longer word):
     * "Ann" matches "Where was Ann born" but not "Where was Anna born".
     */
    public boolean subjectIn(String text) {
        for (int from = text.indexOf(subject); from >= 0; from = text.indexOf(subject, from + 1)) {
            int end = from + subject.length();
            boolean startOk = from == 0 || !Character.isLetterOrDigit(text.charAt(from - 1));
            boolean endOk = end == text.length() || !Character.isLetterOrDigit(text.charAt(end));
            if (startOk && endOk) {
                return true;
            }
        }
        return false;
    }
}
