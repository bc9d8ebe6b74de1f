// The state of a live stream, as the client's onState reports it.

const LABELS: Record<string, string> = { open: 'Live', connecting: 'Connecting…', reconnecting: 'Reconnecting…', closed: 'Offline' };

export function LiveIndicator({ state }: { state: string }) {
  const label = LABELS[state] ?? state;
  const tone = state === 'open' ? 'ok' : state === 'closed' ? 'off' : 'wait';
  return (
    <span class={`live live-${tone}`} data-testid="live-state" data-state={state} title={`Live updates: ${label}`}>
      <span class="live-dot" aria-hidden="true" />
      {label}
    </span>
  );
}
