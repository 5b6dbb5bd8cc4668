// Labels a request with its route pattern (metrics' `route`, the request log): one helper for
// every route module (api/routes.ts and the modules it registers).
import type { NextFunction, Request, Response } from 'express';

export const named = (name: string) => (_req: Request, res: Response, next: NextFunction) => {
  res.locals.route = name;
  next();
};
