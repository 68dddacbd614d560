#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# Compares httpd-tests results recorded by tap-run.pl: the run without the
# module against the run with it, subtest by subtest.
#
#   compare.pl --without A.tsv --with B.tsv
#              [--without-again C.tsv --with-again D.tsv]
#              [--known-flaky FILE] [--list-differing]
#
# The second pair of runs may cover only some files (the ones that
# differed). A subtest is flaky, and not counted, when its result changes
# between two runs of the same configuration or when FILE lists it; it
# differs with the module when its result without and with the module is
# not the same and each result held in both runs that saw the file.
#
# Prints every differing subtest, the flaky ones, a line per file and a
# summary line; exits 1 when anything differs with the module, else 0.
# --list-differing prints only the files with a difference (of the first
# pair; for choosing what to run again) and exits 0.
use strict;
use warnings;
use Getopt::Long;

my %opt;
GetOptions(\%opt, 'without=s', 'with=s', 'without-again=s', 'with-again=s',
           'known-flaky=s', 'list-differing')
    && $opt{without} && $opt{with}
    && !$opt{'without-again'} == !$opt{'with-again'}
    or die "usage: $0 --without A.tsv --with B.tsv [--without-again C.tsv --with-again D.tsv]"
         . " [--known-flaky FILE] [--list-differing]\n";

my (@order, %in_order);            # files in the order the first run ran them
my $without = load($opt{without});
my $with    = load($opt{with});
my $w_again = $opt{'without-again'} ? load($opt{'without-again'}) : undef;
my $m_again = $opt{'with-again'}    ? load($opt{'with-again'})    : undef;
my %known   = $opt{'known-flaky'} ? load_known($opt{'known-flaky'}) : ();

sub load {
    my $path = shift;
    my %run = (files => {}, tests => {});
    open my $fh, '<', $path or die "$path: $!\n";
    while (<$fh>) {
        chomp;
        my @f = split /\t/, $_, -1;
        if ($f[0] eq 'F') {
            my (undef, $file, $planned, $skip_all, $exit, $timed_out, $secs, $notes) = @f;
            $run{files}{$file} = { planned => $planned, skip_all => $skip_all,
                                   exit => $exit, timed_out => $timed_out,
                                   secs => $secs, notes => $notes // '' };
            push @order, $file unless $in_order{$file}++;
        }
        elsif ($f[0] eq 'T') {
            my (undef, $file, $n, $state, $desc) = @f;
            $run{tests}{$file}{$n} = { state => $state, desc => $desc // '' };
        }
    }
    return \%run;
}

# "file number  # evidence" or "file *  # evidence" per line.
sub load_known {
    my $path = shift;
    my %k;
    open my $fh, '<', $path or die "$path: $!\n";
    while (<$fh>) {
        s/#.*//;
        my ($file, $n) = split;
        next unless defined $n;
        $k{$file}{$n} = 1;
    }
    return %k;
}

# A run that did not see the file says nothing (undef).
sub state_of {
    my ($run, $file, $n) = @_;
    return undef unless $run;
    my $f = $run->{files}{$file} or return undef;
    return 'skipped (whole file)' if $f->{skip_all} ne '';
    my $t = $run->{tests}{$file}{$n} or return 'absent';
    return $t->{state};
}

sub desc_of {
    my ($file, $n) = @_;
    for my $run (grep { defined } $without, $with, $w_again, $m_again) {
        my $t = $run->{tests}{$file}{$n};
        return $t->{desc} if $t && $t->{desc} ne '';
    }
    return '';
}

sub good { $_[0] =~ /^(ok|skip)/ }

sub differs { defined $_[1] && $_[0] ne $_[1] }

my (@diffs, @flaky, @file_diffs, %per_file, %first_pair_differs);
my $compared = 0;
for my $file (@order) {
    my %nums;
    for my $run (grep { defined } $without, $with, $w_again, $m_again) {
        $nums{$_} = 1 for keys %{ $run->{tests}{$file} || {} };
    }
    my $file_has_diff = 0;
    for my $n (sort { $a <=> $b } keys %nums) {
        $compared++;
        my $a = state_of($without, $file, $n) // 'not run';
        my $b = state_of($with, $file, $n) // 'not run';
        my $c = state_of($w_again, $file, $n);
        my $d = state_of($m_again, $file, $n);
        $first_pair_differs{$file} = 1 if $a ne $b;
        if (differs($a, $c) || differs($b, $d) || $known{$file}{$n} || $known{$file}{'*'}) {
            push @flaky, [$file, $n, $a, $b, $c // '', $d // '']
                if $a ne $b || differs($a, $c) || differs($b, $d);
            next;
        }
        next if $a eq $b;
        my $kind = good($a) && !good($b) ? 'worse' : !good($a) && good($b) ? 'better' : 'changed';
        push @diffs, [$file, $n, $a, $b, $kind];
        $per_file{$file}{$kind}++;
        $file_has_diff = 1;
    }
    # What subtests cannot show: a file that times out, or ends differently
    # with the same subtests (it died after its last one).
    next if $file_has_diff;
    my ($fa, $fb, $fc, $fd) = map { $_ ? $_->{files}{$file} : undef } $without, $with, $w_again, $m_again;
    next unless $fa && $fb;
    for my $k (qw(timed_out exit skip_all)) {
        next if $fa->{$k} eq $fb->{$k};
        $first_pair_differs{$file} = 1;
        next if ($fc && $fc->{$k} ne $fa->{$k}) || ($fd && $fd->{$k} ne $fb->{$k});
        push @file_diffs, [$file, $k, $fa->{$k}, $fb->{$k}];
    }
}

if ($opt{'list-differing'}) {
    print "$_\n" for grep { $first_pair_differs{$_} } @order;
    exit 0;
}

sub n_of { my ($n, $what) = @_; "$n $what" . ($n == 1 ? '' : 's') }

sub trunc { my ($s, $w) = @_; length($s) > $w ? substr($s, 0, $w - 1) . '~' : $s }

print "== httpd-suite: subtests whose result differs with mod_secure_headers loaded\n";
if (@diffs) {
    printf "%-34s %5s  %-50s  %-10s %s\n", 'file', 'test', 'description', 'without', 'with';
    printf "%-34s %5s  %-50s  %-10s %s\n", $_->[0], $_->[1],
        trunc(desc_of($_->[0], $_->[1]), 50), $_->[2], $_->[3] for @diffs;
}
else {
    print "(none)\n";
}
if (@file_diffs) {
    print "== files that end differently (their subtests alike)\n";
    printf "%-34s %-10s without: %-12s with: %s\n", @$_ for @file_diffs;
}
if (%per_file) {
    print "== per file\n";
    for my $file (grep { $per_file{$_} } @order) {
        my $h = $per_file{$file};
        my $total = 0; $total += $_ for values %$h;
        my %all;
        for my $run ($without, $with) {
            $all{$_} = 1 for keys %{ $run->{tests}{$file} || {} };
        }
        my $notes = $with->{files}{$file} ? $with->{files}{$file}{notes} : '';
        printf "%-34s %d of %d subtests differ (%s)%s\n", $file, $total, scalar(keys %all),
            join(', ', map { "$h->{$_} $_" } grep { $h->{$_} } qw(worse better changed)),
            $notes ne '' ? "; with the module: $notes" : '';
    }
}
print "== flaky: results that change between runs of the same configuration,"
    . " or listed in known-flaky (not counted)\n";
if (@flaky) {
    printf "%-34s %5s  %-36s  %-8s %-8s %-14s %s\n", 'file', 'test', 'description',
        'without', 'with', 'without again', 'with again';
    printf "%-34s %5s  %-36s  %-8s %-8s %-14s %s\n", $_->[0], $_->[1],
        trunc(desc_of($_->[0], $_->[1]), 36), @$_[2 .. 5] for @flaky;
}
else {
    print "(none)\n";
}

print "== runs\n";
for my $label (['without', $without], ['with', $with],
               ['without again', $w_again], ['with again', $m_again]) {
    my ($name, $run) = @$label;
    next unless $run;
    my %c;
    my $files = scalar keys %{ $run->{files} };
    for my $file (keys %{ $run->{files} }) {
        if ($run->{files}{$file}{skip_all} ne '') { $c{'files skipped'}++; next }
        for (values %{ $run->{tests}{$file} || {} }) {
            $c{ $_->{state} eq 'skip' ? 'skip' : good($_->{state}) ? 'ok' : 'not ok' }++;
        }
    }
    printf "%-15s %s, %d skipped whole; subtests %s\n", "$name:", n_of($files, 'file'),
        $c{'files skipped'} // 0, join(', ', map { ($c{$_} // 0) . " $_" } 'ok', 'not ok', 'skip');
}
my %diff_files = map { $_->[0] => 1 } @diffs, @file_diffs;
my %kinds;
$kinds{$_->[4]}++ for @diffs;
printf "httpd-suite: %s in %s differ with the module (%d worse, %d better, %d changed)"
     . "%s; %d flaky not counted; %s in %s compared\n",
    n_of(scalar @diffs, 'subtest'), n_of(scalar keys %diff_files, 'file'),
    $kinds{worse} // 0, $kinds{better} // 0, $kinds{changed} // 0,
    @file_diffs ? sprintf(', %s ending differently', n_of(scalar @file_diffs, 'file')) : '',
    scalar(@flaky), n_of($compared, 'subtest'), n_of(scalar @order, 'file');
exit(@diffs || @file_diffs ? 1 : 0);
