/*
 * Which relation labels the editor is given: the data's, none, or a share of wrong ones. Users send
 * no label or a wrong one; a method that needs labels must be measured that way. Evaluation always
 * uses the data's own requests (labels do not change any prompt).
 * Reference: issue 29 (no dependence on labels: no labels, correct labels, 20 % wrong labels).
 */
package dev.hookline.engine.bench;

import dev.hookline.data.EditRequest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;

/**
 * @param mode {@link #GIVEN}, {@link #NONE} or {@link #WRONG}
 * @param wrongShare for {@link #WRONG}: the share of edits (rounded) whose label is replaced by
 *     another relation of the stream, chosen with a fixed seed
 */
public record Labels(String mode, double wrongShare) {
    /** The data's labels. */
    public static final String GIVEN = "given";
    /** No labels. */
    public static final String NONE = "none";
    /** A share of wrong labels. */
    public static final String WRONG = "wrong";
    /** The data's labels. */
    public static final Labels AS_GIVEN = new Labels(GIVEN, 0);

    public Labels {
        if (!GIVEN.equals(mode) && !NONE.equals(mode) && !WRONG.equals(mode)) {
            throw new IllegalArgumentException("labels must be given, none or wrong:SHARE, got '" + mode + "'");
        }
        if (WRONG.equals(mode) && !(wrongShare > 0 && wrongShare <= 1)) {
            throw new IllegalArgumentException("wrong-label share must be in (0, 1], got " + wrongShare);
        }
    }

    /** Parses {@code given}, {@code none} or {@code wrong:0.2}. */
    public static Labels parse(String text) {
        if (text.startsWith(WRONG + ":")) {
            try {
                return new Labels(WRONG, Double.parseDouble(text.substring(WRONG.length() + 1)));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--labels wrong:SHARE needs a number, got '" + text + "'");
            }
        }
        return new Labels(text, 0);
    }

    /** The requests the editor sees. */
    public List<EditRequest> apply(List<EditRequest> requests) {
        if (GIVEN.equals(mode)) {
            return requests;
        }
        List<EditRequest> out = new ArrayList<>(requests);
        if (NONE.equals(mode)) {
            out.replaceAll(r -> relabel(r, null));
            return out;
        }
        List<String> relations = new ArrayList<>(new TreeSet<>(requests.stream().map(EditRequest::relation)
                .filter(r -> r != null).toList()));
        if (relations.size() < 2) {
            throw new IllegalArgumentException("wrong labels need edits of at least two relations");
        }
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < requests.size(); i++) {
            order.add(i);
        }
        Random random = new Random(29);
        Collections.shuffle(order, random);
        int wrong = (int) Math.round(wrongShare * requests.size());
        for (int k = 0; k < wrong; k++) {
            int i = order.get(k);
            EditRequest r = requests.get(i);
            int at = r.relation() == null ? -1 : relations.indexOf(r.relation());
            int pick = at < 0 ? random.nextInt(relations.size())
                    : (at + 1 + random.nextInt(relations.size() - 1)) % relations.size();
            out.set(i, relabel(r, relations.get(pick)));
        }
        return out;
    }

    private static EditRequest relabel(EditRequest r, String relation) {
        return new EditRequest(r.caseId(), r.subject(), r.prompt(), r.targetNew(), r.targetTrue(), r.paraphrasePrompts(),
                r.neighborhoodPrompts(), r.neighborhoodTarget(), r.localityPrompts(), r.localityTargets(), relation);
    }

    @Override
    public String toString() {
        return WRONG.equals(mode) ? WRONG + ":" + wrongShare : mode;
    }
}
