/*
 * An answer that is a problem (4xx, or 503 while nothing is loaded), thrown by the node's API
 * code and turned into problem JSON by ProblemMappers.
 */
package dev.hookline.serving.api;

import java.util.List;

/** A refused request. */
public final class ApiProblem extends RuntimeException {
    private final Problem problem;

    public ApiProblem(Problem problem) {
        super(problem.detail());
        this.problem = problem;
    }

    public Problem problem() {
        return problem;
    }

    /** 400 validation naming the field. */
    public static ApiProblem invalid(String field, String message) {
        return new ApiProblem(new Problem("urn:hookline:problem:validation", "Bad request", 400,
                field + ": " + message, List.of(new Problem.FieldError(field, message))));
    }

    /** 400 for a missing or empty body. */
    public static ApiProblem noBody() {
        return new ApiProblem(new Problem("urn:hookline:problem:bad-json", "Bad request", 400,
                "a JSON request body is required", List.of(new Problem.FieldError("body", "missing"))));
    }

    /** 503 while no version is loaded. */
    public static ApiProblem notReady(String why) {
        return new ApiProblem(new Problem("urn:hookline:problem:not-ready", "Service unavailable", 503,
                "no version is loaded yet" + (why == null ? "" : ": " + why), List.of()));
    }
}
