package dev.hookline.registry.api;

import java.util.ArrayList;
import java.util.List;

/**
 * An exception that becomes a problem+json answer. Thrown by services for bad input, missing
 * entities, conflicts and refused operations; being a RuntimeException it also rolls back the
 * surrounding transaction, so nothing is half-written.
 */
public class ApiProblem extends RuntimeException {

    private final int status;
    private final String slug;
    private final String title;
    private final List<Problem.FieldError> fields;

    public ApiProblem(int status, String slug, String title, String detail, List<Problem.FieldError> fields) {
        super(detail);
        this.status = status;
        this.slug = slug;
        this.title = title;
        this.fields = fields == null ? List.of() : List.copyOf(fields);
    }

    /** 400: the request itself is malformed (field given when absent, wrong shape). */
    public static ApiProblem badRequest(String detail, String... fields) {
        return new ApiProblem(400, "bad-request", "Bad request", detail, fieldList(detail, fields));
    }

    /** 400 with several field errors collected at once. */
    public static ApiProblem invalid(List<Problem.FieldError> errors) {
        String detail = errors.size() == 1 ? errors.get(0).field() + ": " + errors.get(0).message()
                : errors.size() + " fields are invalid";
        return new ApiProblem(400, "validation", "Invalid request", detail, errors);
    }

    public static ApiProblem notFound(String what, Object id) {
        return new ApiProblem(404, "not-found", "Not found", what + " " + id + " does not exist", List.of());
    }

    public static ApiProblem conflict(String detail, String... fields) {
        return new ApiProblem(409, "conflict", "Conflict", detail, fieldList(detail, fields));
    }

    /** 422: well-formed but refused by the domain (missing blob, digest mismatch, wrong state). */
    public static ApiProblem unprocessable(String detail, String... fields) {
        return new ApiProblem(422, "unprocessable", "Unprocessable request", detail, fieldList(detail, fields));
    }

    public static ApiProblem forbidden(String slug, String detail) {
        return new ApiProblem(403, slug, "Forbidden", detail, List.of());
    }

    public static ApiProblem unauthorized(String detail) {
        return new ApiProblem(401, "unauthorized", "Unauthorized", detail, List.of());
    }

    private static List<Problem.FieldError> fieldList(String detail, String... fields) {
        List<Problem.FieldError> out = new ArrayList<>();
        for (String f : fields) {
            out.add(new Problem.FieldError(f, detail));
        }
        return out;
    }

    public int status() {
        return status;
    }

    /** The problem body this exception stands for. */
    public Problem toProblem() {
        return new Problem("urn:hookline:problem:" + slug, title, status, getMessage(), fields);
    }
}
