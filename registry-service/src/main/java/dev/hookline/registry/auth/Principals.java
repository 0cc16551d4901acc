/*
 * Principal names (issue 26): one person, one name. Token owners are stored in Unicode NFKC with
 * full case folding (approximated as NFKC(lower(upper(NFKC(s)))), as Unicode's NFKC_Casefold
 * does for the letters that matter here), and names with invisible characters or letters of more
 * than one script (a Cyrillic i inside "alice") are refused, so that "Alice", "ALICE",
 * "alice" + U+200B and "al\u0456ce" can never pass as someone else or as two people.
 */
package dev.hookline.registry.auth;

import dev.hookline.registry.api.ApiProblem;
import dev.hookline.registry.api.RequestValidator;

import java.text.Normalizer;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/** Normalises and compares principals. */
public final class Principals {

    /** Scripts that are written together (Japanese, Korean) and so do not count as mixed. */
    private static final Set<Character.UnicodeScript> CJK = EnumSet.of(Character.UnicodeScript.HAN,
            Character.UnicodeScript.HIRAGANA, Character.UnicodeScript.KATAKANA, Character.UnicodeScript.HANGUL,
            Character.UnicodeScript.BOPOMOFO);

    private Principals() {
    }

    /**
     * The stored form of a principal: trimmed, NFKC, case-folded. 400 naming {@code field} when it
     * is blank, too long, or holds invisible, control or mixed-script characters.
     */
    public static String normalize(String raw, String field) {
        if (raw == null || raw.isBlank()) {
            throw ApiProblem.badRequest(field + " must not be blank", field);
        }
        String bad = RequestValidator.forbiddenCharacter(raw);
        if (bad != null) {
            throw ApiProblem.badRequest(field + " " + bad, field);
        }
        String s = fold(raw.strip());
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            if (invisible(cp)) {
                throw ApiProblem.badRequest(String.format("%s must not contain the invisible or control character "
                        + "U+%04X", field, cp), field);
            }
            i += Character.charCount(cp);
        }
        String mixed = mixedScripts(s);
        if (mixed != null) {
            throw ApiProblem.badRequest(field + " mixes letters of several scripts (" + mixed + "); use one script",
                    field);
        }
        if (s.length() > RequestValidator.MAX_PRINCIPAL) {
            throw ApiProblem.badRequest(field + " has at most " + RequestValidator.MAX_PRINCIPAL + " characters", field);
        }
        return s;
    }

    /**
     * The comparison key of a principal as stored (also for rows written before normalisation):
     * folded, invisible characters dropped. Never throws.
     */
    public static String key(String principal) {
        if (principal == null) {
            return "";
        }
        String s = fold(principal.strip());
        StringBuilder out = new StringBuilder(s.length());
        s.codePoints().filter(cp -> !invisible(cp)).forEach(out::appendCodePoint);
        return out.toString();
    }

    /** Whether two principals name the same person. */
    public static boolean same(String a, String b) {
        return key(a).equals(key(b));
    }

    private static String fold(String s) {
        String n = Normalizer.normalize(s, Normalizer.Form.NFKC);
        n = n.toUpperCase(Locale.ROOT).toLowerCase(Locale.ROOT);
        return Normalizer.normalize(n, Normalizer.Form.NFKC);
    }

    /** Characters that do not show or that change nothing visible (Unicode Default_Ignorable and kin). */
    static boolean invisible(int cp) {
        int type = Character.getType(cp);
        if (type == Character.FORMAT || type == Character.CONTROL || type == Character.PRIVATE_USE
                || type == Character.UNASSIGNED || type == Character.SURROGATE || type == Character.LINE_SEPARATOR
                || type == Character.PARAGRAPH_SEPARATOR) {
            return true;
        }
        if (type == Character.SPACE_SEPARATOR && cp != ' ') {
            return true;
        }
        return cp == 0x034F || (cp >= 0x115F && cp <= 0x1160) || (cp >= 0x17B4 && cp <= 0x17B5)
                || (cp >= 0x180B && cp <= 0x180F) || cp == 0x3164 || (cp >= 0xFE00 && cp <= 0xFE0F) || cp == 0xFFA0
                || (cp >= 0xE0000 && cp <= 0xE0FFF) || cp == 0x2800;
    }

    /** The scripts when letters of more than one are present (Common/Inherited do not count), else null. */
    static String mixedScripts(String s) {
        Set<Character.UnicodeScript> scripts = EnumSet.noneOf(Character.UnicodeScript.class);
        s.codePoints().forEach(cp -> {
            Character.UnicodeScript sc = Character.UnicodeScript.of(cp);
            if (sc != Character.UnicodeScript.COMMON && sc != Character.UnicodeScript.INHERITED
                    && sc != Character.UnicodeScript.UNKNOWN) {
                scripts.add(sc);
            }
        });
        if (scripts.size() <= 1 || CJK.containsAll(scripts)) {
            return null;
        }
        return scripts.toString();
    }
}
