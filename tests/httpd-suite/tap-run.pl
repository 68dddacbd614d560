#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# Runs httpd-tests files one at a time against an already started test
# server (t/TEST -start) and records every subtest's result, so that two runs
# can be compared subtest by subtest rather than by the harness's summary.
#
#   tap-run.pl --out RESULTS.tsv --raw DIR --lib DIR --timeout SECONDS FILE...
#
# Run from the suite's top directory, as the user that owns it. For each
# FILE the raw TAP goes to DIR/FILE.tap, stderr to DIR/FILE.err. RESULTS.tsv
# has one line per file and one per subtest:
#   F <file> <planned> <skip-all reason> <exit> <timed out 0|1> <seconds> <notes>
#   T <file> <number> <state> <description>
# state is "ok", "not ok", "skip", "ok (todo)", "not ok (todo)" or "missing"
# (planned but never printed: the file died or hung before it).
use strict;
use warnings;
use Getopt::Long;
use TAP::Parser;
use Time::HiRes qw(time);
use File::Path qw(make_path);
use File::Basename qw(dirname);

my ($out, $raw, $lib, $timeout) = (undef, undef, undef, 300);
GetOptions('out=s' => \$out, 'raw=s' => \$raw, 'lib=s' => \$lib, 'timeout=i' => \$timeout)
    && $out && $raw && $lib
    or die "usage: $0 --out FILE --raw DIR --lib DIR [--timeout N] FILE...\n";

my $pid_file = 't/logs/httpd.pid';

make_path($raw);
open my $res, '>', $out or die "$out: $!\n";
$res->autoflush(1);

for my $file (@ARGV) {
    my @notes;
    # A crashed server must be attributed to the file before this one and
    # must not turn every later file into a failure.
    unless (server_alive()) {
        push @notes, 'server was not running before this file; restarted';
        print STDERR "tap-run: server not running before $file, restarting\n";
        system("t/TEST -start >>'$raw/server-restart.log' 2>&1") == 0
            or push @notes, 'restart failed';
    }
    my $base = "$raw/$file";
    make_path(dirname($base));
    my $t0 = time;
    my $status = run_file($file, "$base.tap", "$base.err");
    my $secs = sprintf '%.1f', time - $t0;
    my ($exit, $timed_out) = decode_status($status);
    record($res, $file, "$base.tap", $exit, $timed_out, $secs, \@notes);
}
close $res or die "$out: $!\n";

sub server_alive {
    open my $fh, '<', $pid_file or return 0;
    my $pid = <$fh>;
    return 0 unless defined $pid && $pid =~ /^(\d+)/;
    return kill 0, $1;
}

# As Test::Harness runs a test: perl -w, the suite's top dir in @INC, stdin
# closed; plus HttpdSuite::ApxsCache from --lib (it says why); bounded by
# timeout(1) so that one hung file cannot hang the rest.
sub run_file {
    my ($file, $tap, $err) = @_;
    my $pid = fork;
    die "fork: $!\n" unless defined $pid;
    if ($pid == 0) {
        open STDIN, '<', '/dev/null' or die;
        open STDOUT, '>', $tap or die "$tap: $!";
        open STDERR, '>', $err or die "$err: $!";
        exec 'timeout', '-k', '10', $timeout, $^X, '-w', "-I$lib",
            '-MHttpdSuite::ApxsCache', '-I.', $file;
        die "exec: $!";
    }
    waitpid $pid, 0;
    return $?;
}

sub decode_status {
    my $st = shift;
    return ("signal " . ($st & 127), 0) if $st & 127;
    my $code = $st >> 8;
    return ($code, 1) if $code == 124 || $code == 137;   # timeout(1)
    return ($code, 0);
}

sub clean { my $s = shift // ''; $s =~ s/[\t\r\n]+/ /g; $s =~ s/^\s+|\s+$//g; $s }

sub record {
    my ($res, $file, $tap, $exit, $timed_out, $secs, $notes) = @_;
    open my $fh, '<', $tap or die "$tap: $!\n";
    my $text = do { local $/; <$fh> };
    close $fh;
    my $parser = TAP::Parser->new({ tap => $text });
    my ($planned, $skip_all, %seen, @tests) = ('', '');
    my $hint;
    while (my $r = $parser->next) {
        if ($r->is_plan) {
            $planned = $r->tests_planned;
            if ($r->directive eq 'SKIP' || $planned == 0) {
                my ($why) = $r->raw =~ /#\s*(.*)$/;
                $skip_all = clean($r->explanation) || clean($why) || 'no reason given';
            }
        }
        elsif ($r->is_comment) {
            # Apache::Test's t_cmp() prints "# testing : WHAT" before the
            # result it decides; most of its tests print no description.
            $hint //= clean($1) if $r->comment =~ /^#?\s*testing\s*:\s*(.*)$/;
        }
        elsif ($r->is_test) {
            my $n = $r->number;
            my $state = $r->is_actual_ok ? 'ok' : 'not ok';
            $state = 'skip' if $r->has_skip;
            $state .= ' (todo)' if $r->has_todo;
            my $desc = clean($r->description);
            $desc =~ s/^-\s*//;
            $desc = $hint if $desc eq '' && defined $hint;
            undef $hint;
            if ($seen{$n}++) {
                push @$notes, "subtest $n printed twice";
                next;
            }
            push @tests, [$n, $state, $desc];
        }
    }
    push @$notes, map { clean($_) } $parser->parse_errors;
    if ($planned ne '' && $planned > 0) {
        for my $n (1 .. $planned) {
            push @tests, [$n, 'missing', ''] unless $seen{$n};
        }
    }
    print $res join("\t", 'F', $file, $planned, $skip_all, $exit, $timed_out,
                    $secs, join('; ', @$notes)), "\n";
    print $res join("\t", 'T', $file, @$_), "\n"
        for sort { $a->[0] <=> $b->[0] } @tests;
    printf STDERR "  %-40s %6ss  %s\n", $file, $secs,
        $skip_all ne '' ? "skipped: $skip_all"
                        : sprintf('%d ok, %d not ok of %s', scalar(grep { $_->[1] =~ /^(ok|skip)/ } @tests),
                                  scalar(grep { $_->[1] !~ /^(ok|skip)/ } @tests), $planned eq '' ? '?' : $planned);
}
