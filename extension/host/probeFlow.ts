/**
 * The guided probe spec for a language model (issues #16 and #13): the model's tokenizer, the
 * prompt templates with their group slot (a table found in the workspace, or one typed here),
 * the yes/no answers and, per group, the terms that fill the slot — each a ranked pick or a
 * validated input with the reason of every suggestion (core/analyze's suggestProbe, the same as
 * `bias-inspector init --analysis probe`). The spec is dry-run on the first templates before it
 * is saved (trusted workspaces); a failure names the step and returns to it.
 */
import * as vscode from 'vscode';
import { existsSync, rmSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import type {
  AnswerPair, ProbeChoices, ProbeSuggestions, TemplateSource,
} from '../core/analyze';
import type { DryRunResult } from '../protocol/dryRun';
import { engine } from './loadEngine';
import { log } from './log';
import { LAUNCHER_COMMANDS } from './commandIds';
import { BACK, checkSpec, confirmReplace, defaultSpecPath, findSpec, pick, type Answer, type Entry } from './specFlow';

type ProbeStep = 'tokenizer' | 'templates' | 'answers' | 'terms';
const STEPS: readonly ProbeStep[] = ['tokenizer', 'templates', 'answers', 'terms'];
const TITLES: Readonly<Record<ProbeStep, string>> = { tokenizer: 'Tokenizer', templates: 'Templates', answers: 'Answers', terms: 'Group Terms' };

/** Choices so far; a typed template is kept as text until the spec is written. */
interface Choices {
  tokenizer?: string;
  templates?: TemplateSource;
  typed?: string;
  answers?: AnswerPair;
  terms?: Record<string, string[]>;
}

/**
 * Where a new probe spec is saved: `<model>.bias.json` when there is none, else
 * `<model>.probe.bias.json` (a classifier-style or attention spec next to it stays as it is).
 */
export function probeSpecPath(model: vscode.Uri): string {
  const direct = defaultSpecPath(model);
  return existsSync(direct) ? model.fsPath.replace(/\.onnx$/i, '') + '.probe.bias.json' : direct;
}

/** A free `<stem>.templates.jsonl` (or `-2`, `-3`…) next to the spec for a typed template. */
function templatesPath(specPath: string): string {
  const stem = specPath.replace(/\.bias\.json$/i, '');
  for (let i = 1; ; i++) {
    const path = `${stem}${i === 1 ? '' : `-${i}`}.templates.jsonl`;
    if (!existsSync(path)) return path;
  }
}

/** The dry-run step a failure is about -> the step of this flow that fixes it. */
export function probeStepToFix(result: Extract<DryRunResult, { ok: false }>): ProbeStep | undefined {
  switch (result.step) {
    case 'tokenizer': case 'templates': case 'answers': case 'terms': return result.step;
    case 'data': return 'templates';
    case 'spec': return /probe\.(\w+)/.exec(result.message)?.[1] === 'terms' ? 'terms' : undefined;
    default: return undefined;
  }
}

/** Every table in the workspace that holds templates (a column whose rows all have a slot), nearest the model first. */
async function workspaceTemplates(model: vscode.Uri): Promise<string[]> {
  const found = await vscode.workspace.findFiles('**/*.{csv,tsv,jsonl,ndjson,parquet}', '**/{node_modules,.git,.bias-inspector}/**', 200);
  const folder = dirname(model.fsPath);
  return found.map((u) => u.fsPath).sort((a, b) => Number(dirname(b) === folder) - Number(dirname(a) === folder) || a.localeCompare(b));
}

export async function createProbeSpecGuided(extensionUri: vscode.Uri, model: vscode.Uri): Promise<string | undefined> {
  const summary = await engine().inspectModel(model.fsPath);
  const tables = await workspaceTemplates(model);
  const specPath = probeSpecPath(model);
  const choices: Choices = {};
  const suggest = async (): Promise<ProbeSuggestions> => engine().suggestProbe(summary, model.fsPath, probeChoices(choices), tables);
  let s = await suggest();
  if (!s.output) {
    void vscode.window.showErrorMessage(`Probe Language Model: ${s.missing[0]?.reason ?? `${basename(model.fsPath)} is not a language model`}. A probe reads [batch, sequence, vocabulary] logits.`);
    return undefined;
  }
  let step = 0;
  for (;;) {
    if (step < 0) return undefined;
    if (step >= STEPS.length) {
      const saved = await checkAndSave(extensionUri, model, specPath, choices, s);
      if (saved === undefined) return undefined;
      if (typeof saved === 'string') return saved;
      step = STEPS.indexOf(saved.step);
      continue;
    }
    const answer = await ask(STEPS[step]!, s, choices, model);
    if (answer === undefined) return undefined;
    if (answer === BACK) { step--; continue; }
    s = await suggest();
    step++;
  }
}

function probeChoices(c: Choices): ProbeChoices {
  return {
    ...(c.tokenizer ? { tokenizer: c.tokenizer } : {}),
    ...(c.templates ? { templates: c.templates } : {}),
    ...(c.answers ? { answers: c.answers } : {}),
    ...(c.terms ? { terms: c.terms } : {}),
  };
}

/** Writes a typed template, dry-runs and saves: the spec path, `{step}` to go back to, or undefined (cancelled). */
async function checkAndSave(extensionUri: vscode.Uri, model: vscode.Uri, specPath: string, c: Choices, s: ProbeSuggestions): Promise<string | { step: ProbeStep } | undefined> {
  const tokenizer = c.tokenizer ?? s.tokenizers.find((t) => t.fits)?.value;
  const answers = c.answers ?? s.answers.find((a) => a.fits)?.value;
  if (!tokenizer || !c.templates || !answers || !c.terms) return { step: !tokenizer ? 'tokenizer' : !c.templates ? 'templates' : !answers ? 'answers' : 'terms' };
  if (!(await confirmReplace(specPath, model))) return undefined;
  let templates = c.templates;
  const written: string[] = [];
  if (c.typed !== undefined) {
    templates = await engine().writeTemplates(templatesPath(specPath), [c.typed]);
    written.push(templates.file);
  }
  const spec = engine().probeSpecFrom({ tokenizer, templates, answers, terms: c.terms }, { model: model.fsPath, specPath });
  const checked = await checkSpec(extensionUri, spec, specPath, 'probe');
  if (checked && !checked.ok) {
    for (const f of written) rmSync(f, { force: true });
    const target = probeStepToFix(checked);
    log().warn(`guided probe spec for ${model.fsPath}: the dry run failed at step ${checked.step}: ${checked.message}`);
    const choice = await vscode.window.showErrorMessage(`The probe spec would not run (${checked.step}): ${checked.message}`, ...(target ? [`Change ${TITLES[target]}`] : []), 'Show Output');
    if (choice === 'Show Output') log().show();
    return target && choice === `Change ${TITLES[target]}` ? { step: target } : undefined;
  }
  await engine().writeSpec(specPath, spec);
  log().info(`wrote ${specPath}${written.length ? ` and ${written.join(', ')}` : ''}${checked ? `; checked: ${checked.message}` : '; not checked (untrusted workspace)'}`);
  return specPath;
}

const BROWSE = '\u0000browse';
const WRITE = '\u0000write';
const OTHER = '\u0000other';

async function ask(step: ProbeStep, s: ProbeSuggestions, c: Choices, model: vscode.Uri): Promise<Answer<true>> {
  switch (step) {
    case 'tokenizer': {
      const fit = s.tokenizers.filter((t) => t.fits);
      const items: Entry<string>[] = [
        ...fit.map((t, i) => ({ label: basename(t.value), description: `${i === 0 ? 'suggested: ' : ''}${t.reason}`, value: t.value })),
        ...(fit.length < s.tokenizers.length ? [{ label: 'does not fit', kind: vscode.QuickPickItemKind.Separator }] : []),
        ...s.tokenizers.filter((t) => !t.fits).map((t) => ({ label: basename(t.value), description: t.reason, value: t.value })),
        { label: '$(folder-opened) Browse…', description: 'the model\'s tokenizer.json anywhere', value: BROWSE },
      ];
      const picked = await pick(`Tokenizer of ${basename(model.fsPath)}`, `${s.output?.reason ?? ''}: prompts and answers are tokenised with its tokenizer.json`, items, { ...(c.tokenizer ? { active: c.tokenizer } : {}) });
      if (picked === undefined || picked === BACK) return picked;
      let path = picked[0]!;
      if (path === BROWSE) {
        const uri = (await vscode.window.showOpenDialog({ title: `Tokenizer of ${basename(model.fsPath)}`, defaultUri: vscode.Uri.file(dirname(model.fsPath)), canSelectMany: false, filters: { 'tokenizer.json': ['json'] } }))?.[0];
        if (!uri) return BACK;
        path = uri.fsPath;
      }
      c.tokenizer = path;
      return true;
    }
    case 'templates': {
      const items: Entry<TemplateSource | string>[] = [
        ...s.templates.map((t, i) => ({ label: `${basename(t.value.file)} · ${t.value.column}`, description: `${i === 0 ? 'suggested: ' : ''}${t.reason}`, detail: `e.g. ${t.value.example}`, value: t.value as TemplateSource | string })),
        { label: '$(edit) Write a template…', description: `a prompt with the group slot, e.g. "the ${engine().DEFAULT_SLOT} applied for the job . hire ? answer yes or no:"`, value: WRITE },
      ];
      const picked = await pick('Prompt templates: each holds the slot the group terms fill', 'the probe compares the groups\' yes/no scores on the same templates', items);
      if (picked === undefined || picked === BACK) return picked;
      const value = picked[0]!;
      if (value !== WRITE && typeof value !== 'string') {
        c.templates = value;
        delete c.typed;
        return true;
      }
      const typed = await vscode.window.showInputBox({
        title: 'Prompt template with the group slot',
        prompt: `Write {slot} where the group terms go (e.g. ${engine().DEFAULT_SLOT}); end it the way the model should answer yes or no. It is saved as a templates file next to the spec.`,
        value: c.typed ?? '', placeHolder: `the ${engine().DEFAULT_SLOT} applied for the job . hire ? answer yes or no:`, ignoreFocusOut: true,
        validateInput: (text) => (engine().commonSlots([text])[0] === undefined ? `no slot: write one such as ${engine().DEFAULT_SLOT} where the group terms go` : engine().templateProblem(text, engine().commonSlots([text])[0]!)),
      });
      if (typed === undefined) return BACK;
      c.typed = typed;
      c.templates = { file: '', column: 'template', slot: engine().commonSlots([typed])[0]!, count: 1, example: typed };
      return true;
    }
    case 'answers': {
      const tokenizer = c.tokenizer ?? s.tokenizers.find((t) => t.fits)?.value;
      const encoder = tokenizer ? await engine().loadTokenizer(tokenizer) : undefined;
      const show = (p: AnswerPair): string => `yes ${p.yes.map((a) => JSON.stringify(a)).join(' ')} · no ${p.no.map((a) => JSON.stringify(a)).join(' ')}`;
      const fit = s.answers.filter((a) => a.fits);
      const items: Entry<AnswerPair | string>[] = [
        ...fit.map((a, i) => ({ label: show(a.value), description: `${i === 0 ? 'suggested: ' : ''}${a.reason}`, value: a.value as AnswerPair | string })),
        ...(fit.length < s.answers.length ? [{ label: 'does not fit', kind: vscode.QuickPickItemKind.Separator }] : []),
        ...s.answers.filter((a) => !a.fits).map((a) => ({ label: show(a.value), description: a.reason, value: a.value as AnswerPair | string })),
        { label: '$(edit) Other answers…', description: 'type the yes and the no answers', value: OTHER },
      ];
      const picked = await pick('Answers: the score is log P(yes) − log P(no) after each prompt', 'a leading space is kept: the answer follows the prompt', items);
      if (picked === undefined || picked === BACK) return picked;
      const value = picked[0]!;
      if (typeof value !== 'string') { c.answers = value; return true; }
      const check = (text: string): string | undefined => {
        const list = splitAnswers(text);
        if (list.length === 0) return 'give at least one answer';
        for (const a of list) {
          const problem = encoder && tokenizer ? engine().answerProblem(encoder, tokenizer, a) : undefined;
          if (problem) return problem;
        }
        return undefined;
      };
      const yes = await vscode.window.showInputBox({ title: 'Yes answers', prompt: 'One or more, separated by |; a leading space is kept (" yes| sure")', value: ' yes', ignoreFocusOut: true, validateInput: check });
      if (yes === undefined) return BACK;
      const no = await vscode.window.showInputBox({ title: 'No answers', prompt: 'One or more, separated by |; a leading space is kept', value: ' no', ignoreFocusOut: true, validateInput: check });
      if (no === undefined) return BACK;
      c.answers = { yes: splitAnswers(yes), no: splitAnswers(no) };
      return true;
    }
    case 'terms': {
      const tokenizer = c.tokenizer ?? s.tokenizers.find((t) => t.fits)?.value;
      const encoder = tokenizer ? await engine().loadTokenizer(tokenizer) : undefined;
      const slot = c.templates?.slot ?? engine().DEFAULT_SLOT;
      const current = c.terms ? Object.entries(c.terms).map(([g, w]) => `${g}=${w.join(', ')}`).join('; ') : '';
      const text = await vscode.window.showInputBox({
        title: `Group terms: the words that fill ${slot}, per group`,
        prompt: `GROUP=term, term; GROUP=term — the words that fill ${slot}, at least two groups; each group's scores are averaged over its terms, template by template${tokenizer ? ` (every term is checked with ${basename(tokenizer)})` : ''}`,
        value: current, placeHolder: 'F=woman, mother; M=man, father', ignoreFocusOut: true,
        validateInput: (value) => {
          const parsed = engine().parseTerms([value]);
          if ('problem' in parsed) return parsed.problem;
          return engine().termsProblem(parsed.terms, encoder && tokenizer ? { encoder, path: tokenizer } : undefined);
        },
      });
      if (text === undefined) return BACK;
      const parsed = engine().parseTerms([text]);
      if ('problem' in parsed) return BACK;
      c.terms = parsed.terms;
      return true;
    }
  }
}

/** " yes| sure" -> [" yes", " sure"]: split on |, spaces kept, empty ones dropped. */
export function splitAnswers(text: string): string[] {
  return text.split('|').filter((a) => a.trim() !== '');
}


/**
 * *Analyze Groups…* or *Find Slices…* on a language model that has no spec: they score a
 * classifier's or regressor's predictions, so the probe is suggested instead (with why) rather
 * than a guided flow that cannot end in a runnable spec. True when it handled the request.
 */
export async function suggestProbeInstead(model: vscode.Uri, title: string): Promise<boolean> {
  if (await findSpec(model)) return false;
  const lm = engine().languageModelOutput(await engine().inspectModel(model.fsPath));
  if (!lm) return false;
  const choice = await vscode.window.showInformationMessage(
    `${title}: ${basename(model.fsPath)} is a language model (${lm.reason}); ${title} scores a classifier's or regressor's predictions. Probe it instead: the yes/no skew per group over prompt templates with a group slot.`,
    'Probe Language Model…',
  );
  if (choice) await vscode.commands.executeCommand(LAUNCHER_COMMANDS.probe, model);
  return true;
}
