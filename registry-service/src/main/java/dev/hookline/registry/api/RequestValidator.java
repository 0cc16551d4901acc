/*
 * Input rules of the registry API that the database must never see broken (issue 26): forbidden
 * characters (PostgreSQL refuses U+0000 in text, and control characters have no place in names)
 * and the documented length limits (docs/API.md, "Limits"). Services call these while they check
 * a request, so the answer is a 400 naming the field instead of a database error.
 */
package dev.hookline.registry.api;

/** Forbidden characters and length limits of request text. */
public final class RequestValidator {

    /** Any JSON string in a request body (the deserializer refuses longer ones). */
    public static final int MAX_TEXT = 65_536;
    /** Principals (token owners). */
    public static final int MAX_PRINCIPAL = 128;
    /** Model names. */
    public static final int MAX_NAME = 200;
    /** Model architecture labels. */
    public static final int MAX_LABEL = 100;
    /** Batch reasons, channel reasons, cancel reasons. */
    public static final int MAX_REASON = 2_000;
    /** Tickets. */
    public static final int MAX_TICKET = 200;
    /** Subjects, targets, locality answers. */
    public static final int MAX_FACT = 1_000;
    /** Prompts, paraphrases, locality prompts. */
    public static final int MAX_PROMPT = 2_000;
    /** Review comments, node messages, build messages. */
    public static final int MAX_COMMENT = 4_000;
    /** A failed job's error text. */
    public static final int MAX_ERROR = 16_000;
    /** Worker names, node addresses. */
    public static final int MAX_ADDRESS = 500;

    private RequestValidator() {
    }

    /**
     * Why {@code s} is refused, or null: U+0000 and the other C0 controls except tab, line feed and
     * carriage return, DEL, unpaired surrogates and the noncharacters U+FFFE / U+FFFF.
     */
    public static String forbiddenCharacter(String s) {
        if (s == null) {
            return null;
        }
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (ch == 0) {
                return "must not contain the NUL character (U+0000) at index " + i;
            }
            if ((ch < 0x20 && ch != '\t' && ch != '\n' && ch != '\r') || ch == 0x7f) {
                return String.format("must not contain the control character U+%04X at index %d", (int) ch, i);
            }
            if (ch == 0xfffe || ch == 0xffff) {
                return String.format("must not contain the noncharacter U+%04X at index %d", (int) ch, i);
            }
            if (Character.isHighSurrogate(ch)) {
                if (i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                    i++;
                    continue;
                }
                return "must not contain an unpaired surrogate at index " + i;
            }
            if (Character.isLowSurrogate(ch)) {
                return "must not contain an unpaired surrogate at index " + i;
            }
        }
        return null;
    }

    /**
     * Records an error on {@code c} when {@code value} (may be null) has a forbidden character or
     * more than {@code max} characters. Returns whether it passed.
     */
    public static boolean text(Check c, String value, String field, int max) {
        if (value == null) {
            return true;
        }
        String bad = forbiddenCharacter(value);
        if (!c.that(bad == null, field, bad)) {
            return false;
        }
        return c.that(value.length() <= max, field, "at most " + max + " characters (got " + value.length() + ")");
    }

    /** A single-line text: {@link #text} and no line breaks or tabs. */
    public static boolean line(Check c, String value, String field, int max) {
        if (!text(c, value, field, max)) {
            return false;
        }
        return c.that(value == null || value.chars().noneMatch(ch -> ch == '\n' || ch == '\r' || ch == '\t'), field,
                "must be a single line (no tab or line break)");
    }

    /** Throws a 400 for a path or query parameter with forbidden characters or too long. */
    public static void param(String value, String name, int max) {
        Check c = new Check();
        line(c, value, name, max);
        c.done();
    }
}
