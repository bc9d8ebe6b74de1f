// Publishing as the signed-in user: a verb, an object id and, optionally, who is notified.
import type { Activity } from '@tideline/client';
import { useState } from 'preact/hooks';
import { client, describeError } from '../api';
import { Notice } from '../ui';

const VERB_SUGGESTIONS = ['post', 'like', 'comment', 'share', 'Create', 'Announce'];

/** "bob, carol" → ["bob", "carol"]; blanks and duplicates dropped. */
export const parseRecipients = (text: string): string[] => [...new Set(text.split(/[\s,]+/).filter((s) => s !== ''))];

export function Composer({ me, onPublished }: { me: string; onPublished: (a: Activity) => void }) {
  const [type, setType] = useState('post');
  const [object, setObject] = useState('');
  const [to, setTo] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const recipients = parseRecipients(to);
      const a = await client.publish({ actor: me, type: type.trim(), object: object.trim(), ...(recipients.length ? { to: recipients } : {}) });
      setObject('');
      setTo('');
      onPublished(a);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="composer card" data-testid="composer" onSubmit={(e) => void submit(e)}>
      <div class="composer-row">
        <label class="field field-type">
          <span>Verb</span>
          <input data-testid="composer-type" list="verbs" placeholder="verb" value={type} onInput={(e) => setType(e.currentTarget.value)} required spellcheck={false} />
          <datalist id="verbs">
            {VERB_SUGGESTIONS.map((v) => (
              <option key={v} value={v} />
            ))}
          </datalist>
        </label>
        <label class="field field-grow">
          <span>Object</span>
          <input data-testid="composer-object" value={object} onInput={(e) => setObject(e.currentTarget.value)} placeholder="post:hello-world" required spellcheck={false} />
        </label>
      </div>
      <div class="composer-row">
        <label class="field field-grow">
          <span>Notify <span class="muted">(optional user ids)</span></span>
          <input data-testid="composer-to" value={to} onInput={(e) => setTo(e.currentTarget.value)} placeholder="notify: alice, bob" spellcheck={false} />
        </label>
        <button class="btn btn-primary composer-submit" data-testid="composer-submit" disabled={busy || object.trim() === '' || type.trim() === ''}>
          {busy ? 'Publishing…' : 'Publish'}
        </button>
      </div>
      {error ? <Notice kind="error" testid="composer-error">{error}</Notice> : null}
    </form>
  );
}
