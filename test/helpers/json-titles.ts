// Titles whose JSON needs escaping and multi-byte UTF-8 (accents, quotes, a backslash, CJK, an
// emoji, an empty title, a newline): the byte encoders' tests pin their output to JSON.stringify's on them.
import type { TitleFields } from '../../api/feed-json';

export const catalog: TitleFields[] = [
  { movie_id: 'm1', title: 'Amélie (2001)', genres: ['Comedy', 'Romance'] },
  { movie_id: 'm2', title: 'The "Quoted" \\ Title', genres: [] },
  { movie_id: 'm3', title: '東京物語 😀', genres: ['Drama'] },
  { movie_id: 'm4', title: '', genres: ['Sci-Fi'] },
];

/** A fresh title the catalog does not list. */
export const fresh: TitleFields = { movie_id: 'f9', title: 'New\nline', genres: ['Horror'] };
