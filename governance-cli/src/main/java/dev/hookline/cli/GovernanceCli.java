/*
 * `hookline login|whoami|token|model|batch|version|channel|node|audit`: the registry's governance
 * flow from a shell (picocli on registry-client's RegistryClient; docs/API.md is the contract).
 * Exit codes: 0 done, 1 the registry refused or the operation failed (the problem's detail is
 * printed), 2 usage errors (flags, arguments, unreadable input files).
 */
package dev.hookline.cli;

import dev.hookline.client.RegistryException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The top-level command; {@link #run} is the testable entry point, {@link #main} the launcher's. */
@Command(name = "hookline", mixinStandardHelpOptions = true, scope = CommandLine.ScopeType.INHERIT, version = "hookline governance CLI 0.1.0",
        description = {"Hookline's governance flow: tokens, edit batches, review, releases, nodes, audit.",
                "Registry URL and token: --registry/--token, else HOOKLINE_REGISTRY/HOOKLINE_TOKEN, else `hookline login`."},
        subcommands = {AccessCommands.Login.class, AccessCommands.WhoAmI.class, AccessCommands.Tokens.class,
                ModelCommands.class, BatchCommands.class, VersionCommands.class, ChannelCommands.class,
                NodeCommands.class, AuditCommands.class, CommandLine.HelpCommand.class})
public final class GovernanceCli implements java.util.concurrent.Callable<Integer> {
    private static final ThreadLocal<Out> OUT = new ThreadLocal<>();

    /** The output streams of the running command. */
    static Out out() {
        Out o = OUT.get();
        return o != null ? o : new Out(System.out, System.err);
    }

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    /** No command given: the usage on stderr, exit 2 like any usage error. */
    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return CliException.USAGE;
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err, System.getenv()));
    }

    /** Runs one command line with the given streams and environment; returns the exit code. */
    public static int run(String[] args, PrintStream out, PrintStream err, Map<String, String> env) {
        Map<String, String> savedEnv = RegistryOptions.env;
        RegistryOptions.env = env;
        OUT.set(new Out(out, err));
        try {
            CommandLine cl = commandLine();
            cl.setOut(new PrintWriter(out, true, StandardCharsets.UTF_8));
            cl.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
            cl.setExecutionExceptionHandler((ex, cmd, parsed) -> report(ex, err));
            int code = cl.execute(args);
            out.flush();
            err.flush();
            return code;
        } finally {
            OUT.remove();
            RegistryOptions.env = savedEnv;
        }
    }

    /** The command tree with every option's default shown in --help. */
    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new GovernanceCli());
        showDefaults(cl);
        cl.setExitCodeExceptionMapper(ex -> ex instanceof CliException c ? c.exitCode()
                : ex instanceof CommandLine.ParameterException ? CliException.USAGE : CliException.FAILED);
        return cl;
    }

    private static void showDefaults(CommandLine cl) {
        cl.getCommandSpec().usageMessage().showDefaultValues(true);
        cl.getSubcommands().values().forEach(GovernanceCli::showDefaults);
    }

    private static int report(Exception ex, PrintStream err) {
        if (ex instanceof CliException c) {
            err.println("hookline: " + c.getMessage());
            return c.exitCode();
        }
        if (ex instanceof RegistryException r) {
            err.println("hookline: " + describe(r));
            if (r.problem() != null && r.problem().path("fields").isArray()) {
                r.problem().path("fields").forEach(f -> err.println("  " + f.path("field").asText() + ": "
                        + f.path("message").asText()));
            }
            return CliException.FAILED;
        }
        err.println("hookline: " + ex);
        return CliException.FAILED;
    }

    /** One line for a registry error: the problem's detail, its status and slug, and a hint. */
    static String describe(RegistryException r) {
        if (r.status() == 0) {
            return r.getMessage() + " (is `./hookline up` running? --registry / HOOKLINE_REGISTRY choose another)";
        }
        String type = r.problemType();
        String slug = type == null ? "" : " " + type.substring(type.lastIndexOf(':') + 1);
        String detail = r.detail() != null ? r.detail() : r.getMessage();
        String hint = switch (r.status()) {
            case 401 -> "; the token is unknown or revoked (hookline login --token T)";
            case 403 -> r.detail() == null ? "; the token lacks the role this needs" : "";
            default -> "";
        };
        return detail + " (HTTP " + r.status() + slug + ")" + hint;
    }
}
