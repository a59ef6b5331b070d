/**
 * @module console/pages/tuning-jobs — hyperparameter tuning jobs: the list, and a job with its
 * counters, best training job and every training job it launched (objective value and tuned
 * hyperparameters, linked to the training job's page). Same public API as the SDKs.
 */
import { useMemo } from 'react';
import { ApiError, listAll, sm, type Json } from '../api/client.js';
import { Chart } from '../components/chart.js';
import { DataTable, type Column } from '../components/data-table.js';
import { DetailHeader, DetailMissing } from '../components/detail.js';
import { ListState, SearchFilter } from '../components/list-page.js';
import { fmtTime, KeyValues, PageHeader, Section, StatusBadge, toMs, Unavailable } from '../components/ui.js';
import { useAction, usePoll } from '../hooks.js';
import { Link, seg, useLocation } from '../router.js';

const PATH = '/tuning-jobs';
const TITLE = 'Tuning jobs';

const counts = (c: Json | undefined) => `${c?.Completed ?? 0} completed, ${c?.InProgress ?? 0} running, ${(c?.NonRetryableError ?? 0) + (c?.RetryableError ?? 0)} failed, ${c?.Stopped ?? 0} stopped`;

export function TuningJobsPage() {
  const { query } = useLocation();
  const q = query.get('q') ?? '';
  const jobs = usePoll(() => listAll('ListHyperParameterTuningJobs', 'HyperParameterTuningJobSummaries', { SortBy: 'CreationTime', SortOrder: 'Descending' }), [], 5000);
  const rows = useMemo(() => (jobs.data ?? []).filter((j) => String(j.HyperParameterTuningJobName).toLowerCase().includes(q.toLowerCase())), [jobs.data, q]);
  const columns: Column<Json>[] = [
    { id: 'name', header: 'Name', width: '3fr', render: (j) => <Link to={`${PATH}/${seg(j.HyperParameterTuningJobName)}`}>{j.HyperParameterTuningJobName}</Link>, sort: (j) => j.HyperParameterTuningJobName },
    { id: 'status', header: 'Status', width: '140px', render: (j) => <StatusBadge status={j.HyperParameterTuningJobStatus} />, sort: (j) => j.HyperParameterTuningJobStatus },
    { id: 'strategy', header: 'Strategy', width: '110px', render: (j) => j.Strategy, sort: (j) => j.Strategy },
    { id: 'jobs', header: 'Training jobs', width: '2fr', render: (j) => counts(j.TrainingJobStatusCounters) },
    { id: 'created', header: 'Created', width: '2fr', render: (j) => fmtTime(j.CreationTime), sort: (j) => toMs(j.CreationTime) },
  ];
  if (jobs.error instanceof ApiError && jobs.error.unavailable) {
    return (
      <>
        <PageHeader title={TITLE} />
        <Unavailable what={TITLE} />
      </>
    );
  }
  return (
    <>
      <PageHeader title={TITLE} />
      <SearchFilter q={q} />
      <ListState
        list={jobs}
        what="Listing tuning jobs"
        emptyTitle="No tuning jobs yet"
        empty={<p>Start one with the SDK's HyperparameterTuner or create_hyper_parameter_tuning_job pointed at {window.location.origin}.</p>}
      >
        <DataTable label={TITLE} rows={rows} columns={columns} rowKey={(j) => j.HyperParameterTuningJobName} initialSort={{ id: 'created', desc: true }} />
      </ListState>
    </>
  );
}

export function TuningJobDetailPage({ name }: { name: string }) {
  const job = usePoll((s) => sm('DescribeHyperParameterTuningJob', { HyperParameterTuningJobName: name }, s), [name], 2500);
  const children = usePoll(() => listAll('ListTrainingJobsForHyperParameterTuningJob', 'TrainingJobSummaries', { HyperParameterTuningJobName: name }), [name], 2500);
  const stop = useAction(() => sm('StopHyperParameterTuningJob', { HyperParameterTuningJobName: name }).then(job.reload));
  const d = job.data;
  if (!d) return <DetailMissing title={name} crumb={{ to: PATH, label: TITLE }} load={job} what="Loading the tuning job" />;
  const cfg = d.HyperParameterTuningJobConfig ?? {};
  const objective = cfg.HyperParameterTuningJobObjective;
  const best = d.BestTrainingJob;
  const value = (j: Json) => j.FinalHyperParameterTuningJobObjectiveMetric?.Value as number | undefined;
  const columns: Column<Json>[] = [
    { id: 'name', header: 'Training job', width: '3fr', render: (j) => <Link to={`/training-jobs/${seg(j.TrainingJobName)}`}>{j.TrainingJobName}</Link>, sort: (j) => j.TrainingJobName },
    { id: 'status', header: 'Status', width: '130px', render: (j) => <StatusBadge status={j.TrainingJobStatus} />, sort: (j) => j.TrainingJobStatus },
    { id: 'objective', header: objective?.MetricName ?? 'Objective', width: '1fr', render: (j) => value(j) ?? '—', sort: (j) => value(j) ?? Number.NEGATIVE_INFINITY },
    {
      id: 'hp',
      header: 'Tuned hyperparameters',
      width: '3fr',
      render: (j) => (
        <code>
          {Object.entries((j.TunedHyperParameters ?? {}) as Record<string, string>)
            .map(([k, v]) => `${k}=${v}`)
            .join(' ')}
        </code>
      ),
    },
    { id: 'created', header: 'Created', width: '2fr', render: (j) => fmtTime(j.CreationTime), sort: (j) => toMs(j.CreationTime) },
  ];
  const curve = objectiveCurve(children.data ?? [], objective?.Type === 'Minimize');
  return (
    <>
      <DetailHeader
        title={name}
        crumb={{ to: PATH, label: TITLE }}
        status={d.HyperParameterTuningJobStatus}
        actionError={stop.error}
        actionWhat="Stopping"
        failureReason={d.FailureReason}
        actions={
          d.HyperParameterTuningJobStatus === 'InProgress' && (
            <button type="button" className="danger" disabled={stop.busy} onClick={() => void stop.run()}>
              Stop
            </button>
          )
        }
      />
      <div className="grid-2">
        <Section title="Summary">
          <KeyValues
            items={[
              ['Strategy', cfg.Strategy],
              ['Objective', objective ? `${objective.Type} ${objective.MetricName}` : '—'],
              ['Limits', `${cfg.ResourceLimits?.MaxNumberOfTrainingJobs ?? '—'} jobs, ${cfg.ResourceLimits?.MaxParallelTrainingJobs} at a time`],
              ['Training jobs', counts(d.TrainingJobStatusCounters)],
              ['Created', fmtTime(d.CreationTime)],
              ['Ended', fmtTime(d.HyperParameterTuningEndTime)],
            ]}
          />
        </Section>
        <Section title="Best training job">
          {best ? (
            <KeyValues
              items={[
                ['Name', <Link key="b" to={`/training-jobs/${seg(best.TrainingJobName)}`}>{best.TrainingJobName}</Link>],
                [objective?.MetricName ?? 'Objective', String(value(best))],
                ['Hyperparameters', <code key="h">{Object.entries((best.TunedHyperParameters ?? {}) as Record<string, string>).map(([k, v]) => `${k}=${v}`).join(' ')}</code>],
              ]}
            />
          ) : (
            <p>None yet: no training job has reported the objective.</p>
          )}
        </Section>
      </div>
      {curve.x.length > 0 && (
        <Section title="Objective by training job">
          <Chart
            title={`${objective?.MetricName ?? 'objective'} by training job (in launch order)`}
            x={curve.x}
            time={false}
            series={[
              { label: objective?.MetricName ?? 'objective', values: curve.value, points: true },
              { label: 'best so far', values: curve.best },
            ]}
          />
        </Section>
      )}
      <Section title="Training jobs">
        <ListState list={children} what="Listing the training jobs" emptyTitle="No training jobs yet" empty={<p>The first ones start in a moment.</p>}>
          <DataTable label="Training jobs of this tuning job" rows={children.data ?? []} columns={columns} rowKey={(j) => j.TrainingJobName} initialSort={{ id: 'created', desc: false }} />
        </ListState>
      </Section>
    </>
  );
}

/** The objective of each training job in launch order (name order: `-NNN-`), and the best so far. */
function objectiveCurve(jobs: Json[], minimize: boolean): { x: number[]; value: (number | null)[]; best: (number | null)[] } {
  const sorted = [...jobs].sort((a, b) => String(a.TrainingJobName).localeCompare(String(b.TrainingJobName)));
  const x: number[] = [];
  const value: (number | null)[] = [];
  const best: (number | null)[] = [];
  let top: number | null = null;
  sorted.forEach((j, i) => {
    const v = j.FinalHyperParameterTuningJobObjectiveMetric?.Value as number | undefined;
    if (v !== undefined && (top === null || (minimize ? v < top : v > top))) top = v;
    x.push(i + 1);
    value.push(v ?? null);
    best.push(top);
  });
  return top === null ? { x: [], value: [], best: [] } : { x, value, best };
}
