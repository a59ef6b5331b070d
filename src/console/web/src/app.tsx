/** @module console/app — layout (skip link, navigation, main) and the route table. */
import { useEffect, type ReactNode } from 'react';
import { EmptyState } from './components/ui.js';
import { EndpointDetailPage, EndpointsPage } from './pages/endpoints.js';
import { LogsPage } from './pages/logs.js';
import { EndpointConfigCreatePage, EndpointConfigDetailPage, EndpointConfigsPage, ModelDetailPage, ModelsPage } from './pages/models.js';
import { OtherJobDetailPage, OtherJobsPage, PROCESSING, TRANSFORM } from './pages/other-jobs.js';
import { OverviewPage } from './pages/overview.js';
import { PlaygroundPage } from './pages/playground.js';
import { BucketPage, BucketsPage } from './pages/storage.js';
import { TrainingJobCreatePage, TrainingJobDetailPage, TrainingJobsPage } from './pages/training-jobs.js';
import { TuningJobDetailPage, TuningJobsPage } from './pages/tuning-jobs.js';
import { Link, match, useLocation } from './router.js';

type Route = [pattern: string, render: (p: Record<string, string>) => ReactNode, title: (p: Record<string, string>) => string];

const ROUTES: Route[] = [
  ['/', () => <OverviewPage />, () => 'Overview'],
  ['/training-jobs', () => <TrainingJobsPage />, () => 'Training jobs'],
  ['/training-jobs/new', () => <TrainingJobCreatePage />, () => 'Create training job'],
  ['/training-jobs/:name', (p) => <TrainingJobDetailPage key={p.name} name={p.name!} />, (p) => p.name!],
  ['/tuning-jobs', () => <TuningJobsPage />, () => 'Tuning jobs'],
  ['/tuning-jobs/:name', (p) => <TuningJobDetailPage key={p.name} name={p.name!} />, (p) => p.name!],
  ['/processing-jobs', () => <OtherJobsPage k={PROCESSING} />, () => 'Processing jobs'],
  ['/processing-jobs/:name', (p) => <OtherJobDetailPage k={PROCESSING} name={p.name!} />, (p) => p.name!],
  ['/transform-jobs', () => <OtherJobsPage k={TRANSFORM} />, () => 'Transform jobs'],
  ['/transform-jobs/:name', (p) => <OtherJobDetailPage k={TRANSFORM} name={p.name!} />, (p) => p.name!],
  ['/models', () => <ModelsPage />, () => 'Models'],
  ['/models/:name', (p) => <ModelDetailPage name={p.name!} />, (p) => p.name!],
  ['/endpoint-configs', () => <EndpointConfigsPage />, () => 'Endpoint configs'],
  ['/endpoint-configs/new', () => <EndpointConfigCreatePage />, () => 'Create endpoint config'],
  ['/endpoint-configs/:name', (p) => <EndpointConfigDetailPage name={p.name!} />, (p) => p.name!],
  ['/endpoints', () => <EndpointsPage />, () => 'Endpoints'],
  ['/endpoints/:name', (p) => <EndpointDetailPage key={p.name} name={p.name!} />, (p) => p.name!],
  ['/endpoints/:name/playground', (p) => <PlaygroundPage key={p.name} name={p.name!} />, (p) => `Playground ${p.name}`],
  ['/logs', () => <LogsPage />, () => 'Logs'],
  ['/storage', () => <BucketsPage />, () => 'Storage'],
  ['/storage/:bucket', (p) => <BucketPage key={p.bucket} bucket={p.bucket!} />, (p) => p.bucket!],
];

const NAV: [string, string][] = [
  ['/', 'Overview'],
  ['/training-jobs', 'Training jobs'],
  ['/tuning-jobs', 'Tuning jobs'],
  ['/processing-jobs', 'Processing jobs'],
  ['/transform-jobs', 'Transform jobs'],
  ['/models', 'Models'],
  ['/endpoint-configs', 'Endpoint configs'],
  ['/endpoints', 'Endpoints'],
  ['/logs', 'Logs'],
  ['/storage', 'Storage'],
];

export function App() {
  const { path } = useLocation();
  let page: ReactNode = null;
  let title = 'Not found';
  for (const [pattern, render, t] of ROUTES) {
    const p = match(pattern, path);
    if (p) {
      page = render(p);
      title = t(p);
      break;
    }
  }
  useEffect(() => {
    document.title = `${title} · Slipway`;
  }, [title]);
  const section = '/' + (path.split('/')[1] ?? '');
  return (
    <div className="layout">
      <a href="#main" className="skip">
        Skip to content
      </a>
      <nav className="sidebar" aria-label="Main">
        <Link to="/" className="brand">
          Slipway
        </Link>
        <ul>
          {NAV.map(([to, label]) => (
            <li key={to}>
              <Link to={to} aria-current={section === to ? 'page' : undefined}>
                {label}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" tabIndex={-1}>
        {page ?? (
          <EmptyState title="There is no page here">
            <p>
              The address <code>{path}</code> does not match a console page. Go to the <Link to="/">overview</Link>.
            </p>
          </EmptyState>
        )}
      </main>
    </div>
  );
}
