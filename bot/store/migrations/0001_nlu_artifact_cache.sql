CREATE TABLE "nlu_artifact_cache" (
	"key" text PRIMARY KEY NOT NULL,
	"artifact" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
