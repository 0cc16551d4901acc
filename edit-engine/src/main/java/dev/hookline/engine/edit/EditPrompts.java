/*
 * Tokenised prompts of one edit request: the edit prompt and its context-prefixed variants, the
 * subject's last token in each, the target ids, and the KL prompt "{subject} is a".
 * Reference: ROME/MEMIT compute_z (context templates, subject-last-token lookup, KL prompt).
 */
package dev.hookline.engine.edit;

import dev.hookline.data.EditRequest;
import dev.hookline.engine.infer.TextTokenizer;
import java.util.ArrayList;
import java.util.List;

/**
 * @param request the request
 * @param variants prompt ids of the plain prompt (index 0) and the context-prefixed variants
 * @param subjectLast index of the subject's last token in each variant
 * @param targetIds ids of {@code targetNew} as it continues the plain prompt
 * @param klPrompt ids of "{subject} is a"
 * @param klSubjectLast index of the subject's last token in the KL prompt
 */
public record EditPrompts(EditRequest request, List<int[]> variants, int[] subjectLast, int[] targetIds,
        int[] klPrompt, int klSubjectLast) {

    /** Tokenises {@code request} with the plain prompt and one variant per context prefix. */
    public static EditPrompts of(EditRequest request, TextTokenizer tokenizer, List<String> contextPrefixes) {
        return of(request, tokenizer, contextPrefixes, false);
    }

    /**
     * As {@link #of(EditRequest, TextTokenizer, List)}; with {@code lastToken} the edit position
     * ({@link #subjectLast()}) is each prompt's last token instead of the subject's last token.
     */
    public static EditPrompts of(EditRequest request, TextTokenizer tokenizer, List<String> contextPrefixes,
            boolean lastToken) {
        String template = request.prompt();
        int at = template.indexOf("{}");
        String before = template.substring(0, at);
        String filled = request.filledPrompt();
        List<String> prefixes = new ArrayList<>();
        prefixes.add("");
        prefixes.addAll(contextPrefixes);
        List<int[]> variants = new ArrayList<>();
        int[] last = new int[prefixes.size()];
        for (int i = 0; i < prefixes.size(); i++) {
            String p = prefixes.get(i).isEmpty() ? "" : prefixes.get(i) + " ";
            int[] ids = tokenizer.encode(p + filled);
            int subjectEnd = tokenizer.encode((p + before + request.subject()).strip()).length - 1;
            if (subjectEnd < 0 || subjectEnd >= ids.length) {
                throw new IllegalArgumentException("edit " + request.caseId() + ": cannot locate subject '"
                        + request.subject() + "' in prompt '" + p + filled + "'");
            }
            variants.add(ids);
            last[i] = lastToken ? ids.length - 1 : subjectEnd;
        }
        int[] targetIds = tokenizer.continuation(filled, request.targetNew()).targetIds();
        int[] kl = tokenizer.encode(request.subject() + " is a");
        int klLast = lastToken ? kl.length - 1 : tokenizer.encode(request.subject()).length - 1;
        return new EditPrompts(request, variants, last, targetIds, kl, klLast);
    }

    /** Variant {@code v} followed by all target tokens but the last (teacher forcing input). */
    public int[] teacherForced(int v) {
        int[] p = variants.get(v);
        int[] seq = new int[p.length + targetIds.length - 1];
        System.arraycopy(p, 0, seq, 0, p.length);
        System.arraycopy(targetIds, 0, seq, p.length, targetIds.length - 1);
        return seq;
    }
}
