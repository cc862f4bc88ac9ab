// /workflows/ID/datasets: a workflow's datasets with their versions and case counts, one version's
// cases a page at a time, and importing a CSV or JSON Lines file as a new version (for those who
// may deploy the workflow). An import is every row or nothing: when the server refuses a file, each
// bad line is listed as the server named it.
import { useState, type FormEvent } from 'react';
import { api, ApiError, postWithProgress } from '../../lib/api';
import type { DatasetSummary, ImportedCases, VersionCases } from '../../lib/api-types';
import { useResource } from '../../lib/resource';
import { setQuery, useLocation } from '../../lib/router';
import { useCan } from '../../lib/session';
import { Json, formatBytes } from '../../components/ui/Json';
import { ErrorNote, Loading } from '../../components/ui/Status';
import { Ago } from '../../components/ui/Time';
import { WorkflowFrame } from '../workflow/WorkflowNav';
import { Pager } from './EvalBits';
import './evals.css';

const pageSize = 50;

export function DatasetsPage({ id }: { id: string }) {
  const { query } = useLocation();
  const base = `/api/workflows/${encodeURIComponent(id)}`;
  const datasets = useResource(() => api.get<{ datasets: DatasetSummary[] }>(`${base}/datasets`).then((r) => r.datasets), [id]);
  const mayImport = useCan('workflows:deploy');
  const list = datasets.data;
  const chosen = list?.find((d) => d.dataset === query.get('dataset')) ?? list?.[0];
  return (
    <WorkflowFrame id={id} title="Datasets">
      {() => (
        <>
          <p className="muted small">Labelled cases a version is measured against before promotion. Every change makes a new version; eval runs name the version they used.</p>
          <ErrorNote error={datasets.error} />
          {list === undefined ? (datasets.error ? null : <Loading what="the datasets" />) : list.length === 0 ? (
            <p className="notice">No dataset yet. Import a file below, or add decided reviews to a dataset from the review queue.</p>
          ) : (
            <div className="table-wrap">
              <table aria-label="Datasets">
                <thead>
                  <tr><th scope="col">Dataset</th><th scope="col">Latest version</th><th scope="col" className="num">Cases</th><th scope="col" className="num">Versions</th><th scope="col">Last change</th><th scope="col">By</th><th scope="col">When</th></tr>
                </thead>
                <tbody>
                  {list.map((d) => (
                    <tr key={d.dataset} className={d.dataset === chosen?.dataset ? 'selected' : undefined}>
                      <th scope="row">
                        <button type="button" className="link" aria-pressed={d.dataset === chosen?.dataset} onClick={() => setQuery({ dataset: d.dataset, v: undefined, page: undefined })}>{d.dataset}</button>
                      </th>
                      <td>v{d.latest.number}</td>
                      <td className="num">{d.latest.case_count}</td>
                      <td className="num">{d.versions}</td>
                      <td>{d.latest.change}{d.latest.note ? <div className="muted small">{d.latest.note}</div> : null}</td>
                      <td className="wrap-anywhere">{d.latest.created_by}</td>
                      <td><Ago at={d.latest.created_at} /></td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          {chosen ? <VersionCasesView workflowId={id} dataset={chosen} /> : null}
          {mayImport ? <ImportForm workflowId={id} datasets={list ?? []} onImported={(dataset) => { datasets.reload(); setQuery({ dataset, v: undefined, page: undefined }); }} /> : null}
        </>
      )}
    </WorkflowFrame>
  );
}

function VersionCasesView({ workflowId, dataset }: { workflowId: string; dataset: DatasetSummary }) {
  const { query } = useLocation();
  const asked = Number(query.get('v'));
  const n = Number.isInteger(asked) && asked >= 1 && asked <= dataset.latest.number ? asked : dataset.latest.number;
  const page = Math.max(0, Number(query.get('page')) || 0);
  const cases = useResource(
    () => api.get<VersionCases>(`/api/workflows/${encodeURIComponent(workflowId)}/datasets/${encodeURIComponent(dataset.dataset)}/versions/${n}/cases`, { limit: pageSize, offset: page * pageSize }),
    [workflowId, dataset.dataset, n, page, dataset.latest.number],
  );
  const numbers = Array.from({ length: dataset.latest.number }, (_, i) => dataset.latest.number - i);
  const data = cases.data;
  const total = data?.version.case_count ?? 0;
  const first = page * pageSize;
  return (
    <section aria-labelledby="cases-heading">
      <h2 id="cases-heading">Cases of {dataset.dataset}</h2>
      <div className="filters">
        <label>
          Version
          <select value={n} onChange={(e) => setQuery({ v: e.target.value, page: undefined })}>
            {numbers.map((k) => <option key={k} value={k}>v{k}{k === dataset.latest.number ? ' (latest)' : ''}</option>)}
          </select>
        </label>
        {data ? <p className="muted small ev-count">v{data.version.number}: {total} case{total === 1 ? '' : 's'}, {data.version.change} by {data.version.created_by}{data.version.note ? ` (${data.version.note})` : ''}</p> : null}
      </div>
      <ErrorNote error={cases.error} />
      {data === undefined ? (cases.error ? null : <Loading what="the cases" />) : data.cases.length === 0 ? <p className="muted">This version has no cases.</p> : (
        <>
          <div className="table-wrap">
            <table aria-label={`Cases of ${dataset.dataset} v${data.version.number}`} className="ev-cases">
              <thead><tr><th scope="col" className="num">#</th><th scope="col">Input</th><th scope="col">Expected</th><th scope="col">Tags</th><th scope="col">Source</th><th scope="col">Added in</th></tr></thead>
              <tbody>
                {data.cases.map((c, i) => (
                  <tr key={c.id}>
                    <td className="num">{first + i + 1}</td>
                    <td><Json value={c.input} label={`input of case ${first + i + 1}`} /></td>
                    <td><Json value={c.expected} label={`expected answer of case ${first + i + 1}`} /></td>
                    <td>{c.tags.length ? c.tags.map((t) => <code key={t} className="scope">{t}</code>) : <span className="muted">none</span>}</td>
                    <td>{c.source}</td>
                    <td>v{c.added_in}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pager first={first} shown={data.cases.length} total={total} onPage={(p) => setQuery({ page: p === 0 ? undefined : String(p) })} page={page} />
        </>
      )}
    </section>
  );
}

type Phase = { step: 'reading' | 'sending' | 'checking'; done: number; total: number };

function formatOf(name: string): 'csv' | 'jsonl' {
  return /\.csv$/i.test(name) ? 'csv' : 'jsonl';
}

/** Reads the chosen file, reporting how much is read. */
function readFile(file: File, onProgress: (done: number, total: number) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onprogress = (e) => onProgress(e.loaded, e.total);
    reader.onload = () => resolve(String(reader.result ?? ''));
    reader.onerror = () => reject(new Error(`Could not read ${file.name}: ${reader.error?.message ?? 'unknown error'}`));
    reader.readAsText(file);
  });
}

function ImportForm({ workflowId, datasets, onImported }: { workflowId: string; datasets: DatasetSummary[]; onImported(dataset: string): void }) {
  const [dataset, setDataset] = useState(datasets[0]?.dataset ?? 'default');
  const [file, setFile] = useState<File>();
  const [format, setFormat] = useState<'csv' | 'jsonl'>('csv');
  const [tags, setTags] = useState('');
  const [phase, setPhase] = useState<Phase>();
  const [error, setError] = useState<unknown>();
  const [done, setDone] = useState<string>();
  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!file) return;
    setError(undefined);
    setDone(undefined);
    try {
      setPhase({ step: 'reading', done: 0, total: file.size });
      const content = await readFile(file, (d, t) => setPhase({ step: 'reading', done: d, total: t }));
      setPhase({ step: 'sending', done: 0, total: content.length });
      const body = { format, content, note: file.name.slice(0, 200), tags: tags.split(',').map((t) => t.trim()).filter(Boolean) };
      const imported = await postWithProgress<ImportedCases>(
        `/api/workflows/${encodeURIComponent(workflowId)}/datasets/${encodeURIComponent(dataset.trim())}/import`, body,
        (sent, total) => setPhase(sent >= total && total > 0 ? { step: 'checking', done: sent, total } : { step: 'sending', done: sent, total }),
      );
      setDone(`Imported ${imported.imported} case${imported.imported === 1 ? '' : 's'} from ${file.name}: ${imported.version.dataset} is now v${imported.version.number} with ${imported.version.case_count} cases.`);
      onImported(imported.version.dataset);
    } catch (e) {
      setError(e);
    } finally {
      setPhase(undefined);
    }
  }
  const badRows = error instanceof ApiError ? error.problems.filter((p) => p.path.startsWith('line ')) : [];
  return (
    <section aria-labelledby="import-heading" className="card">
      <h2 id="import-heading">Import a file as a new version</h2>
      <p className="muted small">
        CSV: a header row with <code>input</code> or <code>input.FIELD</code>, <code>expected</code> or <code>expected.FIELD</code>, and optionally <code>tags</code> and <code>source</code>.
        JSON Lines: one object per line with <code>input</code> and <code>expected</code>. Every row is imported, or none.
      </p>
      <form className="filters" onSubmit={submit}>
        <label>
          Dataset
          <input list="dataset-names" value={dataset} onChange={(e) => setDataset(e.target.value)} required pattern="[A-Za-z0-9][A-Za-z0-9_.\-]*" />
          <datalist id="dataset-names">{datasets.map((d) => <option key={d.dataset} value={d.dataset} />)}</datalist>
        </label>
        <label>
          File (CSV or JSON Lines)
          <input type="file" accept=".csv,.jsonl,.ndjson,.json,text/csv" required onChange={(e) => { const f = e.target.files?.[0]; setFile(f); if (f) setFormat(formatOf(f.name)); }} />
        </label>
        <label>
          Format
          <select value={format} onChange={(e) => setFormat(e.target.value as 'csv' | 'jsonl')}>
            <option value="csv">CSV</option>
            <option value="jsonl">JSON Lines</option>
          </select>
        </label>
        <label>
          Tags for every case <span className="muted">(comma separated, optional)</span>
          <input value={tags} onChange={(e) => setTags(e.target.value)} />
        </label>
        <button type="submit" className="primary" disabled={!file || phase !== undefined}>{phase ? 'Importing…' : 'Import'}</button>
      </form>
      {phase ? <ImportProgress phase={phase} /> : null}
      {done ? <p className="ok" role="status">{done}</p> : null}
      {error ? (
        <div className="error" role="alert">
          <p>{error instanceof Error ? error.message : String(error)}</p>
          {badRows.length > 0 ? (
            <ul className="ev-bad-rows" aria-label="Bad lines">{badRows.map((p, i) => <li key={i}><strong>{p.path}</strong>: {p.message}</li>)}</ul>
          ) : error instanceof ApiError && error.problems.length > 0 ? (
            <ul>{error.problems.map((p, i) => <li key={i}><code>{p.path}</code>: {p.message}</li>)}</ul>
          ) : null}
          {error instanceof ApiError && error.hint ? <p className="muted">{error.hint}</p> : null}
        </div>
      ) : null}
    </section>
  );
}

const phaseWords = { reading: 'Reading the file', sending: 'Sending', checking: 'The server is checking every row' } as const;

function ImportProgress({ phase }: { phase: Phase }) {
  const indeterminate = phase.step === 'checking' || phase.total === 0;
  return (
    <div className="ev-progress" role="status">
      <span>{phaseWords[phase.step]}{indeterminate ? '…' : `: ${formatBytes(phase.done)} of ${formatBytes(phase.total)}`}</span>
      <progress aria-label={phaseWords[phase.step]} max={indeterminate ? undefined : phase.total} value={indeterminate ? undefined : phase.done} />
    </div>
  );
}
