import { useState, type FormEvent } from 'react';
import { setParams, useLocation } from '../router';

export function SearchForm({ label, value, onSearch, children }: { label: string; value: string; onSearch: (q: string) => void; children?: React.ReactNode }) {
  const [text, setText] = useState(value);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onSearch(text.trim());
  };
  return (
    <form className="search" role="search" onSubmit={submit}>
      <label>
        <span className="sr-only">{label}</span>
        <input type="search" placeholder={label} aria-label={label} value={text} onChange={(e) => setText(e.target.value)} />
      </label>
      {children}
      <button type="submit">Search</button>
    </form>
  );
}

/** Cursor paging: `after` in the URL, the cursors already seen in `back` so Previous works too. */
export function Pager({ returned, nextCursor, busy }: { returned: number; nextCursor: string | null | undefined; busy?: boolean }) {
  const { params } = useLocation();
  const after = params.get('after');
  const back = (params.get('back') ?? '').split(',').filter(Boolean);
  const page = back.length + (after ? 2 : 1);
  return (
    <nav className="pager" aria-label="Pages">
      <button type="button" disabled={!after || busy} onClick={() => setParams({ after: back.at(-1) ?? null, back: back.slice(0, -1).join(',') || null })}>
        Previous
      </button>
      <span aria-live="polite">
        Page {page} · {returned} shown
      </span>
      <button
        type="button"
        disabled={!nextCursor || busy}
        onClick={() => setParams({ after: nextCursor ?? null, back: after ? [...back, after].join(',') : null })}
      >
        Next
      </button>
    </nav>
  );
}
