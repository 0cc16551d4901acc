/*
 * The console's type-safe Qute templates (src/main/resources/templates/console/*.html); Quarkus
 * validates every expression against these signatures at build time.
 */
package dev.hookline.console.pages;

import dev.hookline.console.view.Charts.ChartView;
import dev.hookline.console.view.Views.AuditRow;
import dev.hookline.console.view.Views.BatchRow;
import dev.hookline.console.view.Views.BuildRow;
import dev.hookline.console.view.Views.ChainStatus;
import dev.hookline.console.view.Views.ChannelRow;
import dev.hookline.console.view.Views.FactRow;
import dev.hookline.console.view.Views.LayerDiffRow;
import dev.hookline.console.view.Views.LineageRow;
import dev.hookline.console.view.Views.MetricDiffRow;
import dev.hookline.console.view.Views.ModelRow;
import dev.hookline.console.view.Views.MoveRow;
import dev.hookline.console.view.Views.NodeRow;
import dev.hookline.console.view.Views.Option;
import dev.hookline.console.view.Views.Page;
import dev.hookline.console.view.Views.VersionRow;
import io.quarkus.qute.CheckedTemplate;
import io.quarkus.qute.TemplateInstance;

import java.util.List;

/** One method per page (and per htmx fragment, {@code page$fragment}). */
@CheckedTemplate(basePath = "console")
public final class Templates {

    private Templates() {
    }

    /** An item of the review queue. */
    public record ReviewItem(VersionRow version, BatchRow batch, String modelName, boolean ownBatch) {
    }

    /** A hidden form field carried through a confirmation. */
    public record Hidden(String name, String value) {
    }

    /**
     * A channel move awaiting confirmation: current -> target, what changes between them (facts
     * gained and lost since their common ancestor) and the form that repeats the move with confirm=yes.
     */
    public record Confirm(String heading, String channel, String current, String target, String ancestor,
                          int added, int removed, String reason, String diffUrl, String action, List<Hidden> fields,
                          String cancel) {
    }

    public static native TemplateInstance confirm(Page page, Confirm confirm);

    public static native TemplateInstance node(Page page, NodeRow node, String modelName, Long modelId,
                                               List<dev.hookline.console.view.Views.NodeReportRow> reports);

    public static native TemplateInstance signin(Page page, String next, String error);

    public static native TemplateInstance models(Page page, List<ModelRow> models, List<BuildRow> builds);

    public static native TemplateInstance model(Page page, ModelRow model, List<ChannelRow> channels,
                                                List<NodeRow> nodes, List<LineageRow> lineage,
                                                List<Option> versionOptions, List<BatchRow> batches);

    public static native TemplateInstance batches(Page page, List<BatchRow> batches, List<Option> statuses,
                                                  String query, boolean polling, List<Option> models,
                                                  List<Option> methods);

    public static native TemplateInstance batches$rows(List<BatchRow> batches, String query, boolean polling);

    public static native TemplateInstance batch(Page page, BatchRow batch, String modelName, List<FactRow> facts,
                                                VersionRow version);

    public static native TemplateInstance batch$progress(BatchRow batch);

    public static native TemplateInstance review(Page page, List<ReviewItem> items);

    public static native TemplateInstance version(Page page, VersionRow version, BatchRow batch, String modelName,
                                                  List<FactRow> facts, boolean canReview, boolean ownBatch,
                                                  List<ChannelRow> channels, List<ChartView> zCharts,
                                                  List<dev.hookline.console.view.Views.EvidenceRow> evidence,
                                                  List<dev.hookline.console.view.Views.GenerationRow> generations,
                                                  boolean evidenceRecorded, int evidenceFailures);

    public static native TemplateInstance diff(Page page, ModelRow model, VersionRow from, VersionRow to,
                                               String relation, List<FactRow> added, List<FactRow> otherSide,
                                               List<LayerDiffRow> layers, List<MetricDiffRow> metrics,
                                               List<Option> fromOptions, List<Option> toOptions,
                                               List<dev.hookline.console.view.Views.TensorDiffRow> tensors,
                                               String tensorNote);

    public static native TemplateInstance charts(Page page, ModelRow model, List<Option> leaves,
                                                 List<VersionRow> path, List<ChartView> charts,
                                                 List<ChartView> zCharts, String zVersion);

    public static native TemplateInstance channel(Page page, ModelRow model, ChannelRow channel, List<MoveRow> history,
                                                  List<Option> validated);

    public static native TemplateInstance audit(Page page, List<AuditRow> events, ChainStatus chain, String actor,
                                                String action, String entity, String scanned, boolean canList);

    public static native TemplateInstance error(Page page, int status, String title, String detail, String type,
                                                List<String> fields, String back);
}
