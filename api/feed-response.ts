// The body of GET /home-feed. Its own module so that the dashboard (which previews feeds) and
// the app (which serves them) both import it without importing each other.
import type { FeedItem, Source } from './feed';

export interface FeedResponse {
  user_id: string;
  model_version: string | null;
  source: Source;
  variant: string;
  items: FeedItem[];
}
