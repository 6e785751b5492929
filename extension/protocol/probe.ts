/**
 * The report's `probe` section (DESIGN.md §4): language-model probes of FORMULAS.md §H. core
 * produces it; the webview and the CLI read it. A yes/no probe scores each data row's prompt by
 * its skew s = logP(yes set) − logP(no set); a counterfactual probe fills each template's group
 * slot with every group's terms and compares the groups' scores template by template.
 */
import type { GroupKey, GroupsSection, Interval, MetricValues } from './groups';
import type { ReportData, ReportModel, REPORT_SCHEMA } from './report';
import type { RuntimeInfo } from './runtime';

/**
 * What a prompt's score is: the yes/no skew (both answer sets named), logP of the one named
 * set, or logP of the filled template's own tokens (no answers: counterfactual only).
 */
export type ProbeScoreKind = 'skew' | 'logp_yes' | 'logp_no' | 'logp_text';

/** Per group; with labels (yes/no probe) the §B metrics of the prediction s > 0 are spread in. */
export type ProbeGroupEntry = Omit<Partial<MetricValues>, 'count' | 'selection_rate'> & {
  readonly group: GroupKey;
  /** Prompts scored: data rows (yes/no) or templates × the group's terms (counterfactual). */
  readonly count: number;
  /** Share of prompts with s > 0 (null when the score is not a skew). */
  readonly selection_rate: number | null;
  /** Mean score (yes/no: over rows; counterfactual: over templates of the mean over terms). */
  readonly meanScore: number;
  /** Bootstrap percentile interval of meanScore (null without bootstrap). */
  readonly ci: Interval | null;
  /** Bootstrap interval of the selection rate (null without bootstrap or skew). */
  readonly selectionCi: Interval | null;
  readonly small?: true;
};

/** A pair of groups over the counterfactual templates: Δ = score(g) − score(h) per template. */
export interface ProbePair {
  readonly groups: readonly [GroupKey, GroupKey];
  readonly meanDelta: number;
  readonly ci: Interval | null;
  /** Templates whose preferred answer (sign of s) differs between g and h (null unless skew). */
  readonly flips: number | null;
  readonly flipShare: number | null;
  /** Indices (into `templates`) of the templates that flip, in file order. */
  readonly templates: readonly number[];
}

/** One counterfactual template: each group's score (mean over its terms). */
export interface ProbeTemplateRow {
  readonly index: number;
  /** 1-based row of the templates file. */
  readonly row: number;
  readonly template: string;
  readonly scores: Readonly<Record<string, number>>;
}

export interface ProbeSection {
  readonly kind: 'yesno' | 'counterfactual';
  readonly score: ProbeScoreKind;
  /** The answer sets as given and as the tokenizer splits them (ids, leading space kept). */
  readonly answers: {
    readonly yes?: readonly string[];
    readonly no?: readonly string[];
    readonly tokens: { readonly yes?: readonly (readonly number[])[]; readonly no?: readonly (readonly number[])[] };
  };
  readonly prompt?: string;
  readonly slot?: string;
  readonly terms?: Readonly<Record<string, readonly string[]>>;
  readonly tokenizer: string;
  /** The model's context in tokens and where it was read, when known. */
  readonly context: { readonly tokens: number; readonly source: string } | null;
  /** Input names fed with a past length of 0. */
  readonly pastInputs: readonly string[];
  readonly prompts: number;
  /** Forward passes over (prompt + answer prefix) sequences. */
  readonly sequences: number;
  readonly sensitive: readonly string[];
  readonly overall: Omit<ProbeGroupEntry, 'group'>;
  readonly byGroup: readonly ProbeGroupEntry[];
  readonly missingGroup: number;
  readonly pairs?: readonly ProbePair[];
  readonly templates?: readonly ProbeTemplateRow[];
  readonly minGroupSize: number;
  readonly bootstrap?: { readonly replicates: number; readonly seed: number; readonly confidence: number; readonly method: 'percentile' };
}

/** A report of the language-model probes (`kind: 'probe'`); `groups` (every §B metric) when the probe has labels. */
export interface ProbeReport {
  readonly schema: typeof REPORT_SCHEMA;
  readonly kind: 'probe';
  readonly createdAt: string;
  /** The spec file. */
  readonly spec: string;
  readonly model: ReportModel;
  readonly runtime: RuntimeInfo;
  readonly data: ReportData & { readonly skipReasons: Readonly<Record<string, number>> };
  readonly probe: ProbeSection;
  readonly groups?: GroupsSection;
}

/** The probe report as the UI receives it (the same type). */
export type ProbeReportView = ProbeReport;
