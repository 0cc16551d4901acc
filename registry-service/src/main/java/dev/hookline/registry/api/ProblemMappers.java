package dev.hookline.registry.api;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import jakarta.persistence.OptimisticLockException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;
import org.hibernate.StaleObjectStateException;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import java.sql.SQLException;
import java.util.List;

/**
 * The one place that turns exceptions into {@code application/problem+json}. Bad input of any
 * kind (malformed JSON, wrong types, unknown enum values, unparsable ids) is a 4xx; only a bug is
 * a 500, and it is logged.
 */
public class ProblemMappers {

    private static final Logger LOG = Logger.getLogger(ProblemMappers.class);

    @ServerExceptionMapper
    public Response apiProblem(ApiProblem e) {
        return respond(e.toProblem());
    }

    @ServerExceptionMapper
    public Response webApplication(WebApplicationException e) {
        int status = e.getResponse() == null ? 500 : e.getResponse().getStatus();
        if (status >= 500) {
            LOG.error("request failed", e);
        }
        Response.StatusType type = Response.Status.fromStatusCode(status);
        String title = type == null ? "HTTP " + status : type.getReasonPhrase();
        Throwable cause = e.getCause();
        if (cause instanceof JsonProcessingException jpe) {
            return json(jpe);
        }
        return respond(new Problem("urn:hookline:problem:http-" + status, title, status,
                e.getMessage() == null ? title : e.getMessage(), List.of()));
    }

    @ServerExceptionMapper
    public Response mismatched(MismatchedInputException e) {
        return json(e);
    }

    @ServerExceptionMapper
    public Response invalidFormat(InvalidFormatException e) {
        return json(e);
    }

    @ServerExceptionMapper
    public Response instantiation(ValueInstantiationException e) {
        return json(e);
    }

    @ServerExceptionMapper
    public Response mapping(JsonMappingException e) {
        return json(e);
    }

    @ServerExceptionMapper
    public Response parse(JsonParseException e) {
        return json(e);
    }

    @ServerExceptionMapper
    public Response processing(JsonProcessingException e) {
        return json(e);
    }

    @ServerExceptionMapper
    public Response optimisticLock(OptimisticLockException e) {
        return respond(ApiProblem.conflict("the resource was changed concurrently; reload and retry").toProblem());
    }

    @ServerExceptionMapper
    public Response stale(StaleObjectStateException e) {
        return respond(ApiProblem.conflict("the resource was changed concurrently; reload and retry").toProblem());
    }

    @ServerExceptionMapper
    public Response unexpected(Throwable e) {
        ApiProblem nested = find(e, ApiProblem.class);
        if (nested != null) {
            return apiProblem(nested);
        }
        if (find(e, OptimisticLockException.class) != null || find(e, StaleObjectStateException.class) != null) {
            return optimisticLock(null);
        }
        ClientAbortException abort = find(e, ClientAbortException.class);
        if (abort != null || clientGone(e)) {
            LOG.infof("client aborted the request: %s", abort != null ? abort.getMessage() : rootMessage(e));
            return respond(new Problem("urn:hookline:problem:client-abort", "Client aborted", 400,
                    "the client closed the connection before its request was complete", List.of()));
        }
        SQLException sql = find(e, SQLException.class);
        if (sql != null && sql.getSQLState() != null) {
            Response r = database(sql);
            if (r != null) {
                return r;
            }
        }
        LOG.error("unexpected failure", e);
        return respond(new Problem("urn:hookline:problem:internal", "Internal error", 500,
                "the registry failed to handle this request; see its log", List.of()));
    }

    /**
     * Database refusals a client can cause (a safety net behind the request checks): a unique
     * name taken by a concurrent request is a 409, a concurrent update (serialisation failure,
     * deadlock) a 409 to retry, text the database cannot store a 400.
     */
    private static Response database(SQLException sql) {
        String state = sql.getSQLState();
        switch (state) {
            case "23505" -> {
                LOG.debugf("unique violation answered 409: %s", sql.getMessage());
                return respond(ApiProblem.conflict("a concurrent request created the same "
                        + constraint(sql) + "; reload and retry").toProblem());
            }
            case "23503", "40001", "40P01", "55P03" -> {
                LOG.debugf("concurrent change answered 409: %s", sql.getMessage());
                return respond(ApiProblem.conflict("the resource was changed concurrently; reload and retry")
                        .toProblem());
            }
            case "22021", "22P05", "22001", "54000", "22003" -> {
                LOG.warnf("database refused a value (should have been a request check): %s", sql.getMessage());
                return respond(new Problem("urn:hookline:problem:validation", "Invalid request", 400,
                        "a value cannot be stored (forbidden character, too long or out of range)", List.of()));
            }
            default -> {
                return null;
            }
        }
    }

    private static String constraint(SQLException sql) {
        String m = sql.getMessage() == null ? "" : sql.getMessage();
        int i = m.indexOf("constraint \"");
        if (i >= 0) {
            int j = m.indexOf('"', i + 12);
            if (j > i) {
                return "entry (" + m.substring(i + 12, j) + ")";
            }
        }
        return "entry";
    }

    /** Vert.x / Netty signs that the peer closed the connection while we read or wrote. */
    private static boolean clientGone(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String name = t.getClass().getName();
            String msg = t.getMessage() == null ? "" : t.getMessage();
            if (name.endsWith("ClosedChannelException") || msg.contains("Connection was closed")
                    || msg.contains("Connection reset by peer") || msg.contains("Broken pipe")) {
                return true;
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return false;
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getClass().getSimpleName() + ": " + t.getMessage();
    }

    /** A JSON body that does not parse or does not fit the request type: 400 naming the field. */
    private static Response json(JsonProcessingException e) {
        ApiProblem nested = find(e, ApiProblem.class);
        if (nested != null) {
            return respond(nested.toProblem());
        }
        String field = "body";
        if (e instanceof JsonMappingException jme && !jme.getPath().isEmpty()) {
            field = path(jme.getPath());
        }
        String detail = e.getOriginalMessage() == null ? "malformed JSON" : e.getOriginalMessage();
        // Jackson's messages may carry a long source excerpt; the first line says enough.
        int nl = detail.indexOf('\n');
        if (nl > 0) {
            detail = detail.substring(0, nl);
        }
        String kind = e instanceof JsonParseException ? "malformed JSON" : "request body does not fit";
        return respond(new Problem("urn:hookline:problem:bad-json", "Bad request", 400,
                kind + ": " + detail, List.of(new Problem.FieldError(field, detail))));
    }

    private static String path(List<JsonMappingException.Reference> refs) {
        StringBuilder sb = new StringBuilder();
        for (JsonMappingException.Reference r : refs) {
            if (r.getFieldName() != null) {
                if (!sb.isEmpty()) {
                    sb.append('.');
                }
                sb.append(r.getFieldName());
            } else if (r.getIndex() >= 0) {
                sb.append('[').append(r.getIndex()).append(']');
            }
        }
        return sb.isEmpty() ? "body" : sb.toString();
    }

    private static <T extends Throwable> T find(Throwable e, Class<T> type) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return null;
    }

    /** Builds the problem response. */
    public static Response respond(Problem p) {
        return Response.status(p.status()).type(Problem.MEDIA_TYPE).entity(p).build();
    }
}
