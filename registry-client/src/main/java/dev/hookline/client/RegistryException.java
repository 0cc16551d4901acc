/*
 * An error answer of the registry, carrying its RFC 9457 problem JSON (docs/API.md, "Errors").
 */
package dev.hookline.client;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The registry answered a request with a non-success status, or could not be reached.
 * {@link #status()} is the HTTP status (0 when no answer arrived), {@link #problemType()} the
 * problem slug URN, {@link #problem()} the whole problem document when there was one.
 */
public class RegistryException extends RuntimeException {
    private final int status;
    private final String method;
    private final String path;
    private final transient JsonNode problem;

    public RegistryException(int status, String method, String path, JsonNode problem, String message, Throwable cause) {
        super(message, cause);
        this.status = status;
        this.method = method;
        this.path = path;
        this.problem = problem;
    }

    /** HTTP status, or 0 when the registry could not be reached. */
    public int status() {
        return status;
    }

    /** HTTP method of the failed request. */
    public String method() {
        return method;
    }

    /** Path of the failed request (relative to the registry base URL). */
    public String path() {
        return path;
    }

    /** The problem document, or null when the answer carried none. */
    public JsonNode problem() {
        return problem;
    }

    /** The problem's {@code type} (e.g. {@code urn:hookline:problem:four-eyes}), or null. */
    public String problemType() {
        return problem != null && problem.hasNonNull("type") ? problem.get("type").asText() : null;
    }

    /** The problem's {@code detail}, else its {@code title}, else null. */
    public String detail() {
        if (problem == null) {
            return null;
        }
        if (problem.hasNonNull("detail")) {
            return problem.get("detail").asText();
        }
        return problem.hasNonNull("title") ? problem.get("title").asText() : null;
    }

    /** True for 409 answers: a lease that is no longer current, a lost race, a wrong state. */
    public boolean isConflict() {
        return status == 409;
    }

    /** True when retrying may help: no answer at all, 429 or a 5xx. */
    public boolean isTransient() {
        return status == 0 || status == 429 || status >= 500;
    }
}
