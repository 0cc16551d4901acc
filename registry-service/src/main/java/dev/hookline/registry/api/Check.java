package dev.hookline.registry.api;

import java.util.ArrayList;
import java.util.List;

/**
 * Collects field errors of one request and throws them together as a 400 problem, so a client
 * learns every offending field at once.
 */
public final class Check {

    private final List<Problem.FieldError> errors = new ArrayList<>();

    /** Records an error for {@code field} unless {@code ok}. Returns {@code ok}. */
    public boolean that(boolean ok, String field, String message) {
        if (!ok) {
            errors.add(new Problem.FieldError(field, message));
        }
        return ok;
    }

    /** Requires a non-blank string. */
    public boolean notBlank(String value, String field) {
        return that(value != null && !value.isBlank(), field, "must not be blank");
    }

    /** Requires a non-null value. */
    public boolean present(Object value, String field) {
        return that(value != null, field, "is required");
    }

    /** Throws the collected errors as a 400 problem, if any. */
    public void done() {
        if (!errors.isEmpty()) {
            throw ApiProblem.invalid(errors);
        }
    }

    /** Fails at once when a whole request body is missing. */
    public static <T> T body(T body) {
        if (body == null) {
            throw ApiProblem.badRequest("a JSON request body is required", "body");
        }
        return body;
    }

    /** Parses a path id; a value that is not a positive long is a 400, never a 500. */
    public static long id(String value, String name) {
        try {
            long id = Long.parseLong(value);
            if (id > 0) {
                return id;
            }
        } catch (NumberFormatException | NullPointerException e) {
            // fall through to the problem below
        }
        throw ApiProblem.badRequest(name + " must be a positive integer, got '" + value + "'", name);
    }
}
