"""Raw events: on PostgreSQL a table partitioned by month of `day`, so that retention drops whole months.

The primary key of a partitioned table must include the partition key, so PostgreSQL's key is
(event_key, day); Django's model keeps `event_key` as its pk, which stays unique because
`stats.EventKey` admits each event once. Monthly partitions are created by the drain as needed
(`stats.partitions`). SQLite gets an ordinary table.
"""

from django.db import migrations, models

PARTITIONED_TABLE = """
CREATE TABLE stats_rawevent (
    event_key varchar(100) NOT NULL,
    host varchar(30) NOT NULL,
    scene varchar(60) NOT NULL,
    program_id bigint NOT NULL,
    type varchar(12) NOT NULL,
    user_hash varchar(32) NOT NULL,
    occurred_at timestamp with time zone NOT NULL,
    day date NOT NULL,
    page varchar(200) NOT NULL,
    page_views integer NOT NULL CHECK (page_views >= 0),
    stay_seconds integer NOT NULL CHECK (stay_seconds >= 0),
    share_id varchar(64) NOT NULL,
    parent_share_id varchar(64) NOT NULL,
    amount numeric(12, 2) NOT NULL,
    received_at timestamp with time zone NOT NULL,
    PRIMARY KEY (event_key, day)
) PARTITION BY RANGE (day);
CREATE INDEX stats_rawev_program_a08508_idx ON stats_rawevent (program_id, day);
"""


def create_table(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PARTITIONED_TABLE)
    else:
        schema_editor.create_model(apps.get_model("stats", "RawEvent"))


def drop_table(apps, schema_editor):
    schema_editor.execute("DROP TABLE stats_rawevent")


class Migration(migrations.Migration):
    dependencies = [("stats", "0001_initial")]
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='RawEvent',
                    fields=[
                        ('event_key', models.CharField(help_text='<host>:<event id>', max_length=100, primary_key=True, serialize=False)),
                        ('host', models.CharField(max_length=30)),
                        ('scene', models.CharField(max_length=60)),
                        ('program_id', models.BigIntegerField()),
                        ('type', models.CharField(choices=[('visit', 'Visit'), ('share', 'Share'), ('share_open', 'Share Open'), ('new_user', 'New User'), ('payment', 'Payment')], max_length=12)),
                        ('user_hash', models.CharField(help_text='Keyed hash of the host user id; never the id itself.', max_length=32)),
                        ('occurred_at', models.DateTimeField()),
                        ('day', models.DateField(help_text="The day in the platform's time zone.")),
                        ('page', models.CharField(blank=True, default='', max_length=200)),
                        ('page_views', models.PositiveIntegerField(default=0)),
                        ('stay_seconds', models.PositiveIntegerField(default=0)),
                        ('share_id', models.CharField(blank=True, default='', max_length=64)),
                        ('parent_share_id', models.CharField(blank=True, default='', max_length=64)),
                        ('amount', models.DecimalField(decimal_places=2, default=0, max_digits=12)),
                        ('received_at', models.DateTimeField()),
                    ],
                    options={
                        'indexes': [models.Index(fields=['program_id', 'day'], name='stats_rawev_program_a08508_idx')],
                    },
                ),
            ],
        ),
        # After the state knows the model, so that SQLite can create it from the model.
        migrations.RunPython(create_table, drop_table),
    ]
