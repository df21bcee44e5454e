import { useEffect, useId, useRef, type ReactNode } from 'react';
import { ApiError } from './api';

export function Page({ title, actions, children }: { title: string; actions?: ReactNode; children: ReactNode }) {
  useEffect(() => {
    document.title = `${title} · Pact`;
  }, [title]);
  return (
    <section className="page" aria-labelledby="page-title">
      <header className="page-head">
        <h1 id="page-title" tabIndex={-1}>
          {title}
        </h1>
        {actions ? <div className="actions">{actions}</div> : null}
      </header>
      {children}
    </section>
  );
}

export const Loading = ({ what = 'Loading' }: { what?: string }) => (
  <p className="state loading" role="status" aria-live="polite">
    {what}…
  </p>
);

export const Empty = ({ children }: { children: ReactNode }) => (
  <p className="state empty" role="status">
    {children}
  </p>
);

/** An error as the API stated it, with its code; FORBIDDEN reads as a refusal, not a fault. */
export function ErrorState({ error, retry }: { error: unknown; retry?: () => void }) {
  const api = error instanceof ApiError ? error : null;
  const forbidden = api?.code === 'FORBIDDEN';
  return (
    <div className={`state error${forbidden ? ' forbidden' : ''}`} role="alert">
      <strong>{forbidden ? 'Not allowed' : 'Something went wrong'}</strong>
      <p>{api?.message ?? (error instanceof Error ? error.message : String(error))}</p>
      {api ? <p className="code">Code: {api.code}{typeof api.extensions.requestId === 'string' ? ` · request ${api.extensions.requestId}` : ''}</p> : null}
      {retry && !forbidden ? (
        <button type="button" onClick={retry}>
          Try again
        </button>
      ) : null}
    </div>
  );
}

/** The consent note every list shows: how many records consent hid from this answer. */
export const ConsentNote = ({ filtered, note }: { filtered: number; note: string }) => (
  <p className="consent-note" data-testid="consent-note">
    <strong>{filtered} hidden by consent.</strong> {note}
  </p>
);

/** A modal confirmation that says what will happen; Escape or Cancel closes it. */
export function Confirm({
  title,
  children,
  confirmLabel,
  danger,
  busy,
  onConfirm,
  onCancel,
}: {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  danger?: boolean;
  busy?: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const id = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
  }, []);
  return (
    <dialog ref={ref} aria-labelledby={id} onCancel={onCancel} className="confirm">
      <h2 id={id}>{title}</h2>
      <div>{children}</div>
      <div className="actions">
        <button type="button" onClick={onCancel} autoFocus>
          Cancel
        </button>
        <button type="button" className={danger ? 'danger' : 'primary'} disabled={busy} onClick={onConfirm}>
          {busy ? 'Working…' : confirmLabel}
        </button>
      </div>
    </dialog>
  );
}

export interface Bar {
  label: string;
  values: number[];
}

/**
 * A horizontal bar chart drawn as SVG (no chart library): one row per label, one bar per series,
 * the numbers printed beside the bars and in a table for screen readers.
 */
export function BarChart({ title, series, bars, format = (n) => n.toLocaleString() }: { title: string; series: string[]; bars: Bar[]; format?: (n: number) => string }) {
  const max = Math.max(1, ...bars.flatMap((b) => b.values));
  const rowHeight = 14 * series.length + 10;
  const height = bars.length * rowHeight + 24;
  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <div className="legend" aria-hidden="true">
        {series.map((s, i) => (
          <span key={s} className={`swatch s${i}`}>
            {s}
          </span>
        ))}
      </div>
      <svg viewBox={`0 0 600 ${height}`} role="img" aria-label={title} preserveAspectRatio="xMinYMin meet">
        {bars.map((bar, row) => (
          <g key={bar.label} transform={`translate(0 ${row * rowHeight})`}>
            <text x="0" y={rowHeight / 2 + 4} className="chart-label">
              {bar.label}
            </text>
            {bar.values.map((v, i) => (
              <g key={series[i]}>
                <rect x="150" y={4 + i * 14} height="11" width={Math.max(1, (v / max) * 330)} className={`s${i}`} />
                <text x={155 + Math.max(1, (v / max) * 330)} y={13 + i * 14} className="chart-value">
                  {format(v)}
                </text>
              </g>
            ))}
          </g>
        ))}
      </svg>
      <table className="sr-only">
        <thead>
          <tr>
            <th>Label</th>
            {series.map((s) => (
              <th key={s}>{s}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {bars.map((b) => (
            <tr key={b.label}>
              <td>{b.label}</td>
              {b.values.map((v, i) => (
                <td key={series[i]}>{format(v)}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}

export const money = (n: number) => n.toLocaleString(undefined, { style: 'currency', currency: 'USD', maximumFractionDigits: 0 });
/** Cents as people read them: dollars from one dollar up, fractions of a cent below. */
export const cents = (n: number) => (Math.abs(n) >= 100 ? `$${(n / 100).toFixed(2)}` : `${n.toFixed(n && Math.abs(n) < 0.1 ? 3 : 2)}¢`);
export const when = (iso: string) => new Date(iso).toLocaleString();
