/**
 * A plain in-memory model of docs/api.md §1.4, independent of how Tideline builds feeds: what every user's
 * home, user and notification feeds must contain once the system is quiet.
 */
export interface ModelActivity {
  id: string;
  actor: string;
  type: string;
  object: string;
  published: string;
  to: string[];
}

export interface ModelGroup {
  key: string;
  actors: string[];
  actorCount: number;
  activityCount: number;
  latestId: string;
}

const newestFirst = (a: ModelActivity, b: ModelActivity): number => {
  const d = Date.parse(b.published) - Date.parse(a.published);
  return d !== 0 ? d : a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
};

export class FeedModel {
  readonly activities = new Map<string, ModelActivity>();
  private readonly following = new Map<string, Set<string>>();
  private readonly muted = new Map<string, Set<string>>();

  publish(a: ModelActivity): void {
    this.activities.set(a.id, a);
  }
  delete(id: string): void {
    this.activities.delete(id);
  }
  follow(u: string, t: string): void {
    this.set(this.following, u).add(t);
  }
  unfollow(u: string, t: string): void {
    this.set(this.following, u).delete(t);
  }
  mute(u: string, t: string): void {
    this.set(this.muted, u).add(t);
  }
  unmute(u: string, t: string): void {
    this.set(this.muted, u).delete(t);
  }
  follows(u: string, t: string): boolean {
    return this.set(this.following, u).has(t);
  }
  followingOf(u: string): string[] {
    return [...this.set(this.following, u)].sort();
  }

  user(u: string): string[] {
    return [...this.activities.values()].filter((a) => a.actor === u).sort(newestFirst).map((a) => a.id);
  }

  home(u: string): string[] {
    const f = this.set(this.following, u);
    const m = this.set(this.muted, u);
    return [...this.activities.values()]
      .filter((a) => (a.actor === u || f.has(a.actor)) && !m.has(a.actor))
      .sort(newestFirst)
      .map((a) => a.id);
  }

  notifications(u: string): ModelGroup[] {
    const m = this.set(this.muted, u);
    const groups = new Map<string, ModelActivity[]>();
    for (const a of [...this.activities.values()].sort(newestFirst)) {
      if (!a.to.includes(u) || a.actor === u || m.has(a.actor)) continue;
      const key = `${a.type}|${a.object}|${a.published.slice(0, 10)}`;
      const g = groups.get(key) ?? [];
      g.push(a);
      groups.set(key, g);
    }
    return [...groups.entries()]
      .map(([key, list]) => {
        const actors: string[] = [];
        for (const a of list) if (!actors.includes(a.actor)) actors.push(a.actor);
        return { key, actors: actors.slice(0, 10), actorCount: actors.length, activityCount: list.length, latestId: (list[0] as ModelActivity).id, latest: list[0] as ModelActivity };
      })
      .sort((x, y) => newestFirst(x.latest, y.latest))
      .map(({ latest: _latest, ...g }) => g);
  }

  private set(map: Map<string, Set<string>>, u: string): Set<string> {
    let s = map.get(u);
    if (!s) map.set(u, (s = new Set()));
    return s;
  }
}
